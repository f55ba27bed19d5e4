"""Upscale methods, presets and the Auto choice, as data.

A *method* is one model that enlarges images: what it takes in, what it can make, which
plan upscale mode and price key it bills under. A *target* is the output size the user asked
for, from a factor or a preset. Every method's result is brought to the exact target size
(Lanczos down from the model's own output), so the page promises one size and delivers it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from billing.services import subscription_for
from providers.base import Capability
from providers.local import upscale as local_upscale
from providers.local.engine import MAX_INPUT_PIXELS as LOCAL_MAX_INPUT_PIXELS
from studio.jobs.engines import plan_allows
from studio.jobs.provider_health import app_registry

MP = 1_000_000


@dataclass(frozen=True)
class Method:
    value: str  # the picker's value: "<provider>:<model>"
    label: str
    short: str
    capability: Capability
    mode: str  # the plan's upscale mode
    price_key: str
    min_input_pixels: int = 1
    max_input_pixels: int = 0
    max_input_side: int = 0
    max_aspect: float = 0.0
    takes_prompt: bool = False
    takes_style: bool = False

    @property
    def provider(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def model(self) -> str:
        return self.value.split(":", 1)[1]

    def natural_output(self, w: int, h: int, factor: float = 4) -> tuple[int, int]:
        """The largest size this method makes from a ``w``×``h`` input."""
        if self.value == "stability:upscale-conservative":
            scale = math.sqrt(4 * 1024 * 1024 / (w * h))  # about 4 MP, the shape kept
            return int(w * scale), int(h * scale)
        if self.value == "stability:upscale-creative":
            scale = min(4.0, 4096 / max(w, h))  # ×4, at most 4096 px on the long side
            return int(w * scale), int(h * scale)
        if self.value == "local:upscale-fast":
            # FSRCNN ×2/×4 then Lanczos: any size up to the engine's 50 MP output limit.
            scale = math.sqrt(local_upscale.MAX_OUTPUT_PIXELS / (w * h))
            return int(w * scale), int(h * scale)
        return w * 4, h * 4

    def input_problem(self, w: int, h: int) -> str:
        """Why this method cannot take a ``w``×``h`` input, or ""."""
        pixels = w * h
        if pixels < self.min_input_pixels:
            return f"{self.short} needs an input of at least {self.min_input_pixels:,} pixels."
        if self.max_input_pixels and pixels > self.max_input_pixels:
            return (
                f"{self.short} takes inputs up to {_mp(self.max_input_pixels)}; "
                f"this image is {_mp(pixels)}."
            )
        if self.max_input_side and max(w, h) > self.max_input_side:
            return f"{self.short} takes inputs up to {self.max_input_side} px on a side."
        if self.max_aspect and max(w, h) / max(1, min(w, h)) > self.max_aspect:
            return f"{self.short} takes shapes up to {self.max_aspect:g}:1."
        return ""

    def reach_problem(self, w: int, h: int, target: tuple[int, int]) -> str:
        """Why this method cannot make ``target`` from a ``w``×``h`` input, or ""."""
        problem = self.input_problem(w, h)
        if problem:
            return problem
        mw, mh = self.natural_output(w, h)
        tw, th = target
        if tw > mw + 1 or th > mh + 1:
            return f"{self.short} makes at most {mw}×{mh} px from this image; the target is {tw}×{th} px."
        return ""


METHODS: tuple[Method, ...] = (
    Method(
        "stability:upscale-fast",
        "Stability · Fast ×4",
        "Stability fast ×4",
        Capability.UPSCALE_FAST,
        "fast",
        "upscale.fast",
        min_input_pixels=1_024,
        max_input_pixels=1_048_576,
        max_input_side=1_536,
    ),
    Method(
        "stability:upscale-conservative",
        "Stability · Conservative (to about 4 MP)",
        "Conservative upscale",
        Capability.UPSCALE_CONSERVATIVE,
        "conservative",
        "upscale.conservative",
        min_input_pixels=4_096,
        max_input_pixels=4 * 1024 * 1024,
        max_aspect=2.5,
        takes_prompt=True,
    ),
    Method(
        "stability:upscale-creative",
        "Stability · Creative (re-imagines detail, up to 4K)",
        "Creative upscale",
        Capability.UPSCALE_CREATIVE,
        "creative",
        "upscale.creative",
        min_input_pixels=4_096,
        max_input_pixels=1_048_576,
        takes_prompt=True,
        takes_style=True,
    ),
    Method(
        "local:upscale-fast",
        "Offline · FSRCNN ×2/×4 (this server)",
        "Offline FSRCNN",
        Capability.UPSCALE_FAST,
        "fast",
        "upscale.fast",
        max_input_pixels=LOCAL_MAX_INPUT_PIXELS,
    ),
    Method(
        "local:upscale-hq",
        "Offline · Real-ESRGAN ×4 (this server, slow)",
        "Offline Real-ESRGAN",
        Capability.UPSCALE_HQ,
        "hq",
        "upscale.hq",
        max_input_pixels=local_upscale.HQ_MAX_INPUT_PIXELS,
        max_input_side=local_upscale.HQ_MAX_INPUT_SIDE,
    ),
)
BY_VALUE = {m.value: m for m in METHODS}


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    long: int  # the box the output fits in, long side × short side
    short: int
    note: str = ""


PRESETS: tuple[Preset, ...] = (
    Preset("web", "Web", 2048, 2048, "2048 px on the long side"),
    Preset("social", "Social post", 1080, 1080, "1080 px on the long side"),
    Preset("story", "Social story", 1920, 1920, "1920 px on the long side"),
    Preset("a4", "Print A4", 3508, 2480, "A4 at 300 dpi"),
    Preset("a3", "Print A3", 4961, 3508, "A3 at 300 dpi"),
    Preset("uhd", "4K UHD", 3840, 2160, "fits 3840×2160"),
)
PRESET_BY_KEY = {p.key: p for p in PRESETS}
FACTORS = ("1.5", "2", "3", "4")


def _mp(pixels: int) -> str:
    return f"{pixels / MP:.1f} MP"


def target_for(w: int, h: int, *, preset: str = "", factor: str = "2") -> tuple[int, int]:
    """The output size for a preset (the image fitted into its box) or a factor."""
    if preset in PRESET_BY_KEY:
        p = PRESET_BY_KEY[preset]
        box_w, box_h = (p.long, p.short) if w >= h else (p.short, p.long)
        scale = min(box_w / w, box_h / h)
    else:
        scale = float(factor or 2)
    return max(1, round(w * scale)), max(1, round(h * scale))


def installed(method: Method, registry=None) -> bool:
    """Whether this server can run the method now (provider configured, model installed)."""
    if method.provider == "local":
        if method.model == "upscale-hq":
            return local_upscale.hq_available()
        return local_upscale.fast_available()
    registry = registry or app_registry()
    return any(p.name == method.provider for p in registry.configured())


def plan_problem(method: Method, plan, output_pixels: int) -> str:
    """Why the user's plan can't run this method at this size, or ""."""
    if plan is None:
        return ""
    name = f"Your {plan.name} plan"
    if not plan_allows(plan, method.provider, method.model):
        return f"{name} doesn't include {method.short}."
    if method.mode and not plan.allows("upscale_modes", method.mode):
        return f"{name} doesn't include {method.mode} upscaling."
    if plan.max_output_pixels is not None and output_pixels > plan.max_output_pixels:
        return f"{name} allows outputs up to {_mp(plan.max_output_pixels)}; this one would be {_mp(output_pixels)}."
    return ""


def available_methods(registry=None) -> list[Method]:
    """The methods this server can run, in picker order."""
    return [m for m in METHODS if installed(m, registry)]


def plan_for(user):
    return subscription_for(user=user).plan if user is not None else None


@dataclass(frozen=True)
class Choice:
    method: Method | None
    target: tuple[int, int]
    reason: str
    problems: tuple[str, ...] = ()


# Auto's preference: small inputs first try the providers' ×4 models (more real detail),
# then offline; large inputs go offline (no provider takes them).
_SMALL_ORDER = (
    "stability:upscale-fast",
    "local:upscale-hq",
    "local:upscale-fast",
    "stability:upscale-conservative",
)
_LARGE_ORDER = ("local:upscale-fast", "stability:upscale-conservative")


def choose(
    *, w: int, h: int, target: tuple[int, int], plan, methods: list[Method], picked: str = "auto"
) -> Choice:
    """The method for this input and target: the user's pick if it can, else Auto's."""
    tw, th = target
    if tw <= w and th <= h:
        return Choice(
            None, target, "", (f"This image is already {w}×{h} px: the target is not larger.",)
        )
    if picked and picked != "auto":
        method = BY_VALUE.get(picked)
        if method is None or method not in methods:
            return Choice(None, target, "", ("That method is not available on this server.",))
        problem = method.reach_problem(w, h, target) or plan_problem(method, plan, tw * th)
        if problem:
            return Choice(None, target, "", (problem,))
        return Choice(method, target, "Chosen by you")
    order = _SMALL_ORDER if w * h <= 1_048_576 else _LARGE_ORDER
    problems: list[str] = []
    for value in order:
        method = BY_VALUE[value]
        if method not in methods:
            continue
        problem = method.reach_problem(w, h, target) or plan_problem(method, plan, tw * th)
        if problem:
            problems.append(problem)
            continue
        size = "small" if w * h <= 1_048_576 else "large"
        why = {
            "stability:upscale-fast": "a small image: Stability's ×4 model restores the most detail",
            "local:upscale-hq": "a small image: Real-ESRGAN on this server gives the sharpest offline result",
            "local:upscale-fast": f"a {size} image ({_mp(w * h)}): FSRCNN on this server reaches {tw}×{th} px",
            "stability:upscale-conservative": "Conservative keeps the picture as it is while adding detail",
        }[value]
        return Choice(method, target, f"Auto: {method.short} — {why}", tuple(problems))
    if not problems:
        problems.append("No upscaler is available on this server.")
    return Choice(None, target, "", tuple(problems))
