"""Edit: settling the model for a request and refusing what the model cannot take, before
anything is held; outpaint sides from a target shape; the offline subject mask."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.core.files import File

from providers.base import (
    Capability,
    InvalidInput,
    ProviderError,
    ProviderRequest,
    ProviderUnavailable,
    validate_request,
)
from studio.jobs.engines import AUTO, LOCAL, engine_params
from studio.jobs.models import Job
from studio.jobs.provider_health import app_registry
from studio.jobs.services import request_for_model
from studio.jobs.spec_forms import input_size
from studio.platforms import get_format

Expand = Callable[[dict[str, Any], list], dict[str, Any]]
# OpenAI prices its edits by quality; "auto" is priced as the dearest.
_OPENAI_TIERS = ("low", "medium", "high")


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f} MP"


def check_route(
    route: dict[str, str],
    *,
    capability: Capability,
    params: dict[str, Any],
    inputs: list,
    needs_mask: bool,
) -> None:
    """Raise ``InvalidInput`` when the route's model cannot take this request: a missing or
    out-of-range parameter, a prompt over its limit, an image outside its pixel range, a
    prompt given to the offline fill. Needs no image bytes (the asset's size is known)."""
    registry = app_registry()
    provider = registry.get(route["provider"])
    spec = provider.model(route["model"])
    prompt = str(params.get("prompt") or "")
    request = request_for_model(
        ProviderRequest(
            capability=capability,
            image=b"",
            mask=b"" if needs_mask else None,
            output_format=params.get("output_format") or "png",
            params={k: v for k, v in params.items() if k not in ("routes", "output_format")},
        ),
        spec,
    )
    if provider.name == LOCAL and prompt.strip() and capability == Capability.INPAINT:
        raise InvalidInput(
            "The offline fill takes no prompt: clear the prompt to fill the area from its "
            "surroundings, or pick a provider model to paint what you describe."
        )
    validate_request(spec, request)
    limit = getattr(provider, "max_prompt_chars", None)
    if limit and len(prompt) > limit:
        raise InvalidInput(
            f"The prompt is {len(prompt):,} characters; {provider.label} {spec.label} takes at "
            f"most {limit:,}. Shorten it, or pick another model."
        )
    width, height = input_size(inputs)
    pixels = width * height
    if pixels and spec.max_input_pixels and pixels > spec.max_input_pixels:
        raise InvalidInput(
            f"The image is {width}×{height} px ({_megapixels(pixels)}); {provider.label} "
            f"{spec.label} takes up to {_megapixels(spec.max_input_pixels)}. Pick another "
            "model or make the image smaller first."
        )
    if pixels and spec.min_input_pixels and pixels < spec.min_input_pixels:
        raise InvalidInput(
            f"The image is {width}×{height} px; {provider.label} {spec.label} needs at least "
            f"{spec.min_input_pixels:,} pixels."
        )
    if capability == Capability.OUTPAINT:
        sides = [int(params.get(s) or 0) for s in ("left", "right", "up", "down")]
        if not any(sides):
            raise InvalidInput("Set at least one side to extend, or pick a shape to fit.")
        out_pixels = (width + sides[0] + sides[1]) * (height + sides[2] + sides[3])
        if provider.name == LOCAL and spec.max_input_pixels and out_pixels > spec.max_input_pixels:
            raise InvalidInput(
                f"The extended picture would be {_megapixels(out_pixels)}; the offline "
                f"extender makes up to {_megapixels(spec.max_input_pixels)}."
            )
    if capability == Capability.REPLACE_BACKGROUND and provider.name != LOCAL:
        if not params.get("background_prompt") and not params.get("with_background_image"):
            raise InvalidInput(
                f"{provider.label} needs a background: describe it or upload a background image."
            )
        if params.get("light_source_strength") not in (None, "") and not (
            params.get("light_source_direction") or params.get("with_light_reference")
        ):
            raise InvalidInput("Light strength needs a light direction or a light reference.")


def edit_params(
    capability: Capability,
    *,
    offline_model: str = "",
    needs_mask: bool = False,
    before: Expand | None = None,
) -> Expand:
    """The Edit operations' ``expand_params`` hook: the model picker's choice settled into
    routes (``engine_params``), then every route checked against its model. A chosen model
    that cannot take the request raises ``InvalidInput`` (shown on the form, nothing held);
    Auto keeps the routes that can."""
    settle = engine_params(capability, offline_model=offline_model, needs_mask=needs_mask)

    def expand(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        # Uploaded files travel as the job's files, not as params.
        params = {k: v for k, v in params.items() if not isinstance(v, File)}
        if before is not None:
            params = before(params, inputs)
        chosen = params.get("engine") or AUTO
        out = settle(params, inputs)
        kept: list[dict[str, str]] = []
        first: ProviderError | None = None
        for route in out["routes"]:
            try:
                check_route(
                    route, capability=capability, params=out, inputs=inputs, needs_mask=needs_mask
                )
            except ProviderError as exc:
                first = first or exc
                if chosen != AUTO:
                    raise
                continue
            kept.append(route)
        if not kept:
            raise first or ProviderUnavailable("No model can take this request.")
        if kept[0] != out["routes"][0]:
            out["reason"] = "Auto: the first model that can take this request"
        out["routes"] = kept
        out.update(kept[0])
        quality = out.get("quality")
        out["tier"] = quality if out["provider"] == "openai" and quality in _OPENAI_TIERS else ""
        return out

    return expand


def outpaint_sides(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    """Sides that give the picture the shape of ``target`` ("ratio:16:9" or
    "format:<platform format>"), added evenly to the two sides that must grow."""
    target = params.pop("target", "") or ""
    if not target:
        return params
    width, height = input_size(inputs)
    if not (width and height):
        return params
    kind, _, value = target.partition(":")
    try:
        if kind == "ratio":
            a, b = (int(x) for x in value.split(":"))
            aspect = a / b
        else:
            fmt = get_format(value)
            aspect = fmt.width / fmt.height
    except (KeyError, ValueError, ZeroDivisionError):
        raise InvalidInput("Pick a shape from the list.") from None
    out = dict(params, left=0, right=0, up=0, down=0)
    if width / height < aspect:
        extra = math.ceil(height * aspect) - width
        out["left"], out["right"] = extra // 2, extra - extra // 2
    else:
        extra = math.ceil(width / aspect) - height
        out["up"], out["down"] = extra // 2, extra - extra // 2
    return out


def outpaint_limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    w, h = input_size(inputs)
    w += int(params.get("left") or 0) + int(params.get("right") or 0)
    h += int(params.get("up") or 0) + int(params.get("down") or 0)
    return {"output_pixels": w * h or None}


def subject_mask(*, asset) -> bytes:
    """A black-and-white PNG of the picture's main subject at its native size, from the
    offline cut-out's alpha. Raises ``ProviderError`` when the cut-out model can't run."""
    engine = app_registry().get(LOCAL)
    reason = getattr(engine, "unavailable_reason", lambda model: "")("remove-background")
    if reason:
        raise ProviderUnavailable(reason)
    with asset.file.open("rb") as fh:
        image = fh.read()
    result = engine.run(
        ProviderRequest(
            capability=Capability.REMOVE_BACKGROUND,
            model="remove-background",
            image=image,
            output_format="png",
            params={"output": "mask"},
        )
    )
    return result.outputs[0].open().read()


def recent_masks(*, asset, limit: int = 6) -> list[Job]:
    """The user's latest jobs on this image that kept a mask (newest first)."""
    return list(
        Job.objects.filter(owner=asset.owner, inputs=asset, files__role="mask")
        .distinct()
        .order_by("-created_at")[:limit]
    )
