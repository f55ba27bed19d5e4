"""Upscale: one page with presets, a factor and a method (Auto, Stability fast ×4,
conservative, creative, offline FSRCNN ×2/×4 and Real-ESRGAN ×4 when installed).

The single ``upscale.image`` operation settles its method in ``expand_params`` (before any
hold), so the cost button, the hold and the capture price the same model; the price key
follows the method. The two offline operations stay in the catalog for direct links.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from providers.base import (
    Capability,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    ProviderUnavailable,
)
from providers.local import imaging
from studio.jobs.registry import Module, Operation, register, register_module
from studio.jobs.remote import provider_runner, read_asset
from studio.jobs.spec_forms import input_size, local_operation

from . import methods as m
from .forms import UpscaleForm, decide


def _upscale_limits(mode: str, factor: Callable[[dict[str, Any]], int]):
    def limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        w, h = input_size(inputs)
        if params.get("width") and params.get("height"):
            pixels = int(params["width"]) * int(params["height"])
        else:
            pixels = w * h * factor(params) ** 2
        return {"upscale_mode": mode, "output_pixels": pixels or None}

    return limits


def _expand(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    """Settle the method: provider, model, price key, exact target and Auto's reason."""
    asset = inputs[0] if inputs else None
    plan = m.plan_for(asset.owner if asset is not None else None)
    choice = decide(params, asset, plan, m.available_methods())
    if choice.method is None:
        raise ProviderUnavailable(" ".join(choice.problems[:1]) or "This size can't be made.")
    method = choice.method
    out = {k: v for k, v in params.items() if k != "engine"}
    if method.provider == "local":
        # Plans list provider models; the offline engine's models are never plan-locked.
        out["offline_model"] = method.model
    else:
        out["model"] = method.model
    out.update(
        method=method.value,
        provider=method.provider,
        routes=[{"provider": method.provider, "model": method.model}],
        reason=choice.reason,
        price_key=method.price_key,
        upscale_mode=method.mode,
        target_width=choice.target[0],
        target_height=choice.target[1],
    )
    return out


def _limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    pixels = int(params.get("target_width") or 0) * int(params.get("target_height") or 0)
    return {"upscale_mode": params.get("upscale_mode", ""), "output_pixels": pixels or None}


def _build(spec, params: dict[str, Any], inputs: list, files: dict) -> ProviderRequest:
    method = m.BY_VALUE[params["method"]]
    image = read_asset(inputs[0])
    fmt = params.get("format") or "png"
    tw, th = int(params["target_width"]), int(params["target_height"])
    if method.value == "local:upscale-fast":
        w, h = input_size(inputs)
        scale = "4" if max(tw / w, th / h) > 2 else "2"
        return ProviderRequest(
            capability=Capability.UPSCALE_FAST,
            image=image,
            output_format=fmt,
            params={"scale": scale, "width": tw, "height": th},
        )
    request = ProviderRequest(capability=method.capability, image=image, output_format=fmt)
    if method.takes_prompt:
        source = inputs[0]
        request.prompt = (
            params.get("prompt") or source.prompt or source.display_title or "a photograph"
        ).strip()
        request.negative_prompt = params.get("negative_prompt", "")
        extra: dict[str, Any] = {}
        creativity = params.get("creativity")
        if creativity not in (None, ""):
            low = 0.2 if method.mode == "conservative" else 0.1
            extra["creativity"] = min(0.5, max(low, float(creativity)))
        if method.takes_style and params.get("style_preset"):
            extra["style_preset"] = params["style_preset"]
        request.params = extra
    return request


def _to_target(result: ProviderResult, params: dict[str, Any], inputs: list) -> ProviderResult:
    """Bring every output to the exact target size the page promised."""
    tw, th = int(params["target_width"]), int(params["target_height"])
    outputs = []
    for output in result.outputs:
        with output.open() as fh:
            data = fh.read()
        img = Image.open(io.BytesIO(data))
        img.load()
        if img.size != (tw, th):
            fmt = (params.get("format") or "png").upper()
            resized = img.resize((tw, th), Image.Resampling.LANCZOS)
            data = imaging.encode(resized, fmt, quality=92, keep_metadata=False, source=img)
            output = ProviderOutput(
                content_type=imaging.FORMAT_CONTENT_TYPES[fmt],
                data=data,
                width=tw,
                height=th,
                seed=output.seed,
                extension=imaging.FORMAT_EXTENSIONS[fmt],
                meta={**output.meta, "model_output": f"{img.width}×{img.height}"},
            )
        output.meta.update(method=params["method"], target=f"{tw}×{th}")
        outputs.append(output)
    result.outputs = outputs
    return result


register_module(
    Module(
        key="upscale",
        label="Upscale",
        order=30,
        description="Enlarge images for web, social, print or 4K: offline or with a provider.",
        action_label="Upscale",
        url_name="studio:upscale_start",
        asset_url_name="studio:upscale",
        page_template="upscale/page.html",
    )
)
register(
    Operation(
        key="upscale.image",
        module="upscale",
        label="Upscale",
        verb="Upscale",
        progress_message="Upscaling…",
        capability=Capability.UPSCALE_FAST,
        form_class=UpscaleForm,
        description="Pick a size (a preset or a factor); Auto picks the method for this image "
        "and your plan, or choose one. The result is a new version of this image.",
        provider="local",
        expand_params=_expand,
        limits=_limits,
        runner=provider_runner(_build, _to_target),
    ),
    # The offline models on their own, also in each image's action menu.
    local_operation(
        "upscale.fast",
        "upscale-fast",
        label="Upscale (fast)",
        verb="Upscale",
        progress="Upscaling…",
        description="FSRCNN super-resolution ×2 or ×4, in seconds.",
        limits=_upscale_limits("fast", lambda p: int(p.get("scale") or 2)),
    ),
    local_operation(
        "upscale.hq",
        "upscale-hq",
        label="Upscale ×4 (high quality)",
        verb="Upscale ×4",
        progress="Upscaling tile by tile…",
        description="Real-ESRGAN ×4 on this server's CPU: slow, for small images (up to 512×512).",
        limits=_upscale_limits("hq", lambda p: 4),
    ),
)
