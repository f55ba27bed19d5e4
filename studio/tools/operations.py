"""Quick tools: resize, crop, filters, export/convert, colour palettes and applying a
palette, offline."""

from __future__ import annotations

from typing import Any

from providers.base import Capability
from studio.jobs.registry import Module, Operation, register, register_module
from studio.jobs.spec_forms import input_size

from . import forms, services


def _resize_limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    w0, h0 = input_size(inputs)
    w, h = params.get("width"), params.get("height")
    if params.get("mode") == "exact" and w and h:
        return {"output_pixels": int(w) * int(h)}
    if not (w0 and h0):
        return {}
    scale = min((int(w) / w0) if w else float("inf"), (int(h) / h0) if h else float("inf"))
    return {"output_pixels": int(w0 * h0 * scale * scale)} if scale != float("inf") else {}


register_module(
    Module(
        key="tools",
        label="Quick tools",
        order=70,
        description="Resize, crop, filters, export and colour palettes.",
        action_label="Quick tools",
    )
)
register(
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
        key="tools.apply_palette",
        module="tools",
        label="Apply palette",
        verb="Apply palette",
        progress_message="Recolouring to the palette…",
        capability=Capability.FILTER,
        form_class=forms.ApplyPaletteForm,
        description="Recolour the image to a palette: only its colours, or a soft tint.",
        runner=services.run_apply_palette,
        template="tools/apply_palette.html",
    ),
)
