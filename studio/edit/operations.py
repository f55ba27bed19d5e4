"""Edit: background removal and replacement, erase, extend canvas, recolour."""

from __future__ import annotations

from typing import Any

from studio.jobs.registry import Module, register, register_module
from studio.jobs.spec_forms import input_size, local_operation


def _outpaint_limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    w, h = input_size(inputs)
    w += int(params.get("left") or 0) + int(params.get("right") or 0)
    h += int(params.get("up") or 0) + int(params.get("down") or 0)
    return {"output_pixels": w * h or None}


register_module(
    Module(
        key="edit",
        label="Edit",
        order=20,
        description="Remove or replace the background, erase, extend, recolour.",
        action_label="Edit (offline)",
        url_name="studio:edit_start",
        asset_url_name="studio:edit",
    )
)
register(
    local_operation(
        "edit.remove_background",
        "remove-background",
        label="Remove background",
        verb="Remove background",
        progress="Cutting out the subject…",
        description="Offline cut-out with a soft, refined edge.",
    ),
    local_operation(
        "edit.replace_background",
        "replace-background",
        label="Replace background",
        verb="Replace",
        progress="Cutting out and relighting…",
        description="New colour, gradient or image behind the subject, with the subject's light matched.",
    ),
    local_operation(
        "edit.erase",
        "erase",
        label="Erase object",
        verb="Erase",
        progress="Filling the area…",
        description="Removes what the mask covers and fills it from the surroundings (no prompt).",
    ),
    local_operation(
        "edit.outpaint",
        "outpaint",
        label="Extend canvas",
        verb="Extend",
        progress="Extending the canvas…",
        description="Adds pixels on any side, filled from the picture. Large fills over detailed areas may repeat texture.",
        limits=_outpaint_limits,
    ),
    local_operation(
        "edit.recolor",
        "recolor",
        label="Recolour",
        verb="Recolour",
        progress="Recolouring…",
        description="Moves the masked area to a new colour, keeping its shading.",
    ),
)
