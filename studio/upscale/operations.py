"""Upscale: offline FSRCNN ×2/×4 and, when installed, Real-ESRGAN ×4."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.jobs.registry import Module, register, register_module
from studio.jobs.spec_forms import input_size, local_operation


def _upscale_limits(mode: str, factor: Callable[[dict[str, Any]], int]):
    def limits(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        w, h = input_size(inputs)
        if params.get("width") and params.get("height"):
            pixels = int(params["width"]) * int(params["height"])
        else:
            pixels = w * h * factor(params) ** 2
        return {"upscale_mode": mode, "output_pixels": pixels or None}

    return limits


register_module(
    Module(
        key="upscale",
        label="Upscale",
        order=30,
        description="Enlarge images with super-resolution.",
        action_label="Upscale (offline)",
        url_name="studio:upscale_start",
        asset_url_name="studio:upscale",
    )
)
register(
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
