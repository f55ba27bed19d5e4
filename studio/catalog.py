"""Every operation the studio can run, as data: its module, form, capability and provider.

Views render ``form_class``; the pipeline turns the cleaned data into a
``ProviderRequest`` with ``build_request``; billing prices it by ``key`` and ``quantity``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from providers.base import Capability

from . import forms, social


@dataclass(frozen=True)
class Operation:
    key: str
    module: str
    label: str
    verb: str  # the submit button's word: "Resize"
    progress_message: str  # "Resizing…"
    capability: Capability
    form_class: type[forms.OperationForm]
    description: str = ""
    provider: str = "local"
    # "image": one or more new assets; "analysis": results stored on the input asset.
    output: str = "image"
    # How many billable units a job's params make (variations, renditions, …).
    quantity: Callable[[dict[str, Any]], int] = field(default=lambda params: 1)
    # Optional hooks: extra params from the input assets when the job is created, and a
    # step run by the worker before the provider call (e.g. detect a focal point once).
    expand_params: Callable[[dict[str, Any], list], dict[str, Any]] | None = None
    prepare: Callable[..., dict[str, Any]] | None = None
    # The page that hosts the form (it must define an "op-form" partial), and extra
    # context that page needs.
    template: str = ""
    page_context: Callable[[Any], dict[str, Any]] | None = None
    model: str = ""  # a fixed model of the provider, when the operation has one
    # Called after a successful job with (job, inputs, created assets).
    on_success: Callable[..., None] | None = None
    # Price table key, when it is not the operation's own key.
    price_key: str = ""
    # Replaces the single provider call (e.g. variations in parallel with fallback).
    runner: Callable[..., Any] | None = None
    uses_mask: bool = False  # the second input asset is a mask (white = change)
    # Plan limits this job touches, as billing.preflight keyword arguments, from the
    # job's params and its input assets.
    limits: Callable[[dict[str, Any], list], dict[str, Any]] = field(
        default=lambda params, inputs: {}
    )

    def build_params(self, cleaned: dict[str, Any], inputs: list | None = None) -> dict[str, Any]:
        """JSON-safe provider params from cleaned form data (empty values dropped)."""
        params = {k: v for k, v in cleaned.items() if v not in (None, "")}
        if self.expand_params is not None:
            params = self.expand_params(params, inputs or [])
        return params


def _input_size(inputs: list) -> tuple[int, int]:
    return (inputs[0].width or 0, inputs[0].height or 0) if inputs else (0, 0)


def _upscale_limits(mode: str, factor: Callable[[dict[str, Any]], int]):
    def limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        w, h = _input_size(inputs)
        if params.get("width") and params.get("height"):
            pixels = int(params["width"]) * int(params["height"])
        else:
            pixels = w * h * factor(params) ** 2
        return {"upscale_mode": mode, "output_pixels": pixels or None}

    return limits


def _outpaint_limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    w, h = _input_size(inputs)
    w += int(params.get("left") or 0) + int(params.get("right") or 0)
    h += int(params.get("up") or 0) + int(params.get("down") or 0)
    return {"output_pixels": w * h or None}


def _resize_limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    w0, h0 = _input_size(inputs)
    w, h = params.get("width"), params.get("height")
    if params.get("mode") == "exact" and w and h:
        return {"output_pixels": int(w) * int(h)}
    if not (w0 and h0):
        return {}
    scale = min((int(w) / w0) if w else float("inf"), (int(h) / h0) if h else float("inf"))
    return {"output_pixels": int(w0 * h0 * scale * scale)} if scale != float("inf") else {}


_LOCAL_LIMITS = {
    "upscale.fast": _upscale_limits("fast", lambda p: int(p.get("scale") or 2)),
    "upscale.hq": _upscale_limits("hq", lambda p: 4),
    "edit.outpaint": _outpaint_limits,
}


OPERATIONS: dict[str, Operation] = {
    op.key: op
    for op in (
        Operation(
            key="tools.resize",
            module="tools",
            label="Resize",
            verb="Resize",
            progress_message="Resizing…",
            capability=Capability.RESIZE,
            form_class=forms.ResizeForm,
            description="Scale to a new size, keeping the aspect ratio or not.",
            limits=_resize_limits,
        ),
        Operation(
            key="tools.crop",
            module="tools",
            label="Crop",
            verb="Crop",
            progress_message="Cropping…",
            capability=Capability.CROP,
            form_class=forms.CropForm,
            description="Cut out a rectangle: drag on the image, or type the box.",
        ),
        Operation(
            key="tools.filter",
            module="tools",
            label="Filters",
            verb="Apply filter",
            progress_message="Applying the filter…",
            capability=Capability.FILTER,
            form_class=forms.FilterForm,
            description="Blur, sharpen, grayscale, sepia, brightness, contrast, saturation.",
        ),
        Operation(
            key="tools.convert",
            module="tools",
            label="Export / convert",
            verb="Convert",
            progress_message="Converting…",
            capability=Capability.CONVERT,
            form_class=forms.ConvertForm,
            description="PNG, JPEG or WebP, with quality, keeping or stripping metadata.",
        ),
        Operation(
            key="tools.palette",
            module="tools",
            label="Colour palette",
            verb="Extract palette",
            progress_message="Finding the colours…",
            capability=Capability.PALETTE,
            form_class=forms.PaletteForm,
            description="Dominant, vibrant or muted colours as swatches.",
            output="analysis",
        ),
        Operation(
            key="social.focal",
            module="social",
            label="Find the subject",
            verb="Detect",
            progress_message="Finding the subject…",
            capability=Capability.FOCAL_POINT,
            form_class=forms.OperationForm,
            description="Faces first, then visual saliency; stored on the image.",
            output="analysis",
        ),
        Operation(
            key="social.pack",
            module="social",
            label="Social pack",
            verb="Export pack",
            progress_message="Rendering the formats…",
            capability=Capability.SOCIAL_PACK,
            form_class=forms.SocialPackForm,
            description="Every platform size from one image, with safe zones and file rules.",
            quantity=lambda params: len(params.get("targets") or ()) or 1,
            expand_params=social.expand_pack_params,
            prepare=social.prepare_pack,
            template="studio/social.html",
            on_success=social.record_exports,
            page_context=social.page_context,
        ),
    )
}


def _local_op(
    key: str, model: str, *, label: str, verb: str, progress: str, description: str
) -> Operation:
    """An operation served by one local-engine model, its form built from the model's params."""
    from providers.local import LocalEngine

    from .spec_forms import spec_form_class

    spec = LocalEngine().model(model)
    module = key.split(".", 1)[0]
    return Operation(
        key=key,
        module=module,
        label=label,
        verb=verb,
        progress_message=progress,
        capability=next(iter(sorted(spec.capabilities))),
        form_class=spec_form_class(spec),
        description=description,
        model=model,
        uses_mask=spec.requires_mask,
        limits=_LOCAL_LIMITS.get(key, lambda params, inputs: {}),
    )


for _op in (
    _local_op(
        "edit.remove_background",
        "remove-background",
        label="Remove background",
        verb="Remove background",
        progress="Cutting out the subject…",
        description="Offline cut-out with a soft, refined edge.",
    ),
    _local_op(
        "edit.replace_background",
        "replace-background",
        label="Replace background",
        verb="Replace",
        progress="Cutting out and relighting…",
        description="New colour, gradient or image behind the subject, with the subject's light matched.",
    ),
    _local_op(
        "edit.erase",
        "erase",
        label="Erase object",
        verb="Erase",
        progress="Filling the area…",
        description="Removes what the mask covers and fills it from the surroundings (no prompt).",
    ),
    _local_op(
        "edit.outpaint",
        "outpaint",
        label="Extend canvas",
        verb="Extend",
        progress="Extending the canvas…",
        description="Adds pixels on any side, filled from the picture. Large fills over detailed areas may repeat texture.",
    ),
    _local_op(
        "edit.recolor",
        "recolor",
        label="Recolour",
        verb="Recolour",
        progress="Recolouring…",
        description="Moves the masked area to a new colour, keeping its shading.",
    ),
    _local_op(
        "upscale.fast",
        "upscale-fast",
        label="Upscale (fast)",
        verb="Upscale",
        progress="Upscaling…",
        description="FSRCNN super-resolution ×2 or ×4, in seconds.",
    ),
    _local_op(
        "upscale.hq",
        "upscale-hq",
        label="Upscale ×4 (high quality)",
        verb="Upscale ×4",
        progress="Upscaling tile by tile…",
        description="Real-ESRGAN ×4 on this server's CPU: slow, for small images (up to 512×512).",
    ),
):
    OPERATIONS[_op.key] = _op


def _create_ops() -> list[Operation]:
    from . import create

    return [
        Operation(
            key="create.generate",
            module="create",
            label="Generate",
            verb="Generate",
            progress_message="Sending the prompt…",
            capability=Capability.TEXT_TO_IMAGE,
            form_class=forms.OperationForm,
            description="Prompt to images with templates, styles and personas.",
            provider="",
            runner=create.run_generate,
            quantity=lambda params: int(params.get("variations") or 1),
            limits=lambda params, inputs: {
                "variations": int(params.get("variations") or 1),
                "output_pixels": int(params.get("width") or 0) * int(params.get("height") or 0)
                or None,
            },
        ),
        Operation(
            key="create.vary",
            module="create",
            label="Variations & refine",
            verb="Make variations",
            progress_message="Sending the image…",
            capability=Capability.IMAGE_TO_IMAGE,
            form_class=forms.VaryForm,
            description="More like this, or a new prompt applied to this image, with a strength.",
            provider="",
            price_key="create.generate",
            runner=create.run_generate,
            expand_params=_vary_params,
            quantity=lambda params: int(params.get("variations") or 1),
            limits=lambda params, inputs: {"variations": int(params.get("variations") or 1)},
        ),
    ]


def _vary_params(params, inputs):
    from billing.services import subscription_for

    from . import create

    if not inputs:
        return params
    plan = subscription_for(user=inputs[0].owner).plan
    return create.build_vary_params(params, inputs, plan=plan)


for _op in _create_ops():
    OPERATIONS[_op.key] = _op


def get_operation(key: str) -> Operation:
    """Return the operation registered under ``key``; ``KeyError`` if there is none."""
    return OPERATIONS[key]
