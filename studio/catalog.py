"""Every operation the studio can run, as data: its module, form, capability and provider.

Views render ``form_class``; the pipeline turns the cleaned data into a
``ProviderRequest`` with ``build_request``; billing prices it by ``key`` and ``quantity``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from providers.base import Capability

from . import forms


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
    quantity: Callable[[dict[str, Any]], int] = field(default=lambda cleaned: 1)

    def build_params(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """JSON-safe provider params from cleaned form data (empty values dropped)."""
        return {k: v for k, v in cleaned.items() if v not in (None, "")}


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
        ),
        Operation(
            key="tools.crop",
            module="tools",
            label="Crop",
            verb="Crop",
            progress_message="Cropping…",
            capability=Capability.CROP,
            form_class=forms.CropForm,
            description="Cut out a rectangle.",
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
    )
}


def get_operation(key: str) -> Operation:
    """Return the operation registered under ``key``; ``KeyError`` if there is none."""
    return OPERATIONS[key]


def operations_for_module(module: str) -> list[Operation]:
    return [op for op in OPERATIONS.values() if op.module == module]
