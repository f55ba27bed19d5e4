"""Social Optimizer glue: platform formats → pack params, and the focal point, found once."""

from __future__ import annotations

import re
from typing import Any

from assets.services import asset_export_record, asset_update_analysis
from providers.base import Capability, ProviderError, ProviderRequest
from studio.jobs.provider_health import app_registry
from studio.platforms import FORMATS, get_format


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "image"


def expand_pack_params(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    """Turn ticked format keys into the renderer's targets (sizes, safe zones, limits)."""
    targets = []
    for key in params.get("formats", []):
        f = get_format(key)
        targets.append(
            {
                "key": f.key,
                "width": f.width,
                "height": f.height,
                "safe": [f.safe.top, f.safe.bottom, f.safe.left, f.safe.right],
                "min_width": f.min_width,
                "min_height": f.min_height,
                "max_bytes": f.max_bytes,
            }
        )
    out = {k: v for k, v in params.items() if k not in {"formats", "focal_source"}}
    out["targets"] = targets
    out["name"] = _slug(inputs[0].display_title) if inputs else "image"
    out["focal_source"] = params.get("focal_source", "auto")
    return out


def focal_detect(asset) -> dict[str, Any]:
    """Find and store the asset's focal point with the local engine (once per asset)."""
    with asset.file.open("rb") as fh:
        data = fh.read()
    result = (
        app_registry()
        .get("local")
        .run(ProviderRequest(capability=Capability.FOCAL_POINT, image=data))
    )
    point = result.meta.get("focal_point") or {"x": 0.5, "y": 0.5}
    focal = {
        "x": round(float(point["x"]), 4),
        "y": round(float(point["y"]), 4),
        "faces": result.meta.get("faces", []),
        "method": result.meta.get("method", "centre"),
        "text": result.meta.get("text_boxes", []),
        "source": "auto",
    }
    asset_update_analysis(asset=asset, focal_point=focal)
    return focal


def detected_point(focal: dict[str, Any]) -> dict[str, Any] | None:
    """The point the detector found ({x, y, method}), whether or not the user moved away
    from it since; None before any detection."""
    if focal.get("detected"):
        return focal["detected"]
    if focal.get("source", "auto") == "auto" and "x" in focal:
        return {"x": focal["x"], "y": focal["y"], "method": focal.get("method", "auto")}
    return None


def prepare_pack(*, params: dict[str, Any], inputs: list, progress) -> dict[str, Any]:
    """Worker step before rendering: settle the focal point and the faces to keep.

    A point the user placed is stored on the asset (so every later pack starts there);
    otherwise the stored detection is used, running the detector only the first time.
    """
    params = dict(params)
    source = params.pop("focal_source", "auto")
    asset = inputs[0]
    focal = asset.focal_point or {}
    if source == "user":
        # Keep the detected point beside the user's, so "Back to detected" can return to it.
        detected = detected_point(focal)
        focal = {**focal, "x": params["focal_x"], "y": params["focal_y"], "source": "user"}
        if detected:
            focal["detected"] = detected
        asset_update_analysis(asset=asset, focal_point=focal)
    elif focal.get("source") == "user" and focal.get("detected"):
        # Back to detected: the detection becomes the picture's focal point again.
        detected = focal["detected"]
        focal = {k: v for k, v in focal.items() if k != "detected"}
        focal.update(x=detected["x"], y=detected["y"], source="auto")
        asset_update_analysis(asset=asset, focal_point=focal)
        params["focal_x"], params["focal_y"] = focal["x"], focal["y"]
    elif "x" not in focal:
        progress(10, "Finding the subject…")
        try:
            focal = focal_detect(asset)
        except ProviderError:
            focal = {"x": 0.5, "y": 0.5, "faces": [], "method": "centre", "source": "auto"}
        params["focal_x"], params["focal_y"] = focal["x"], focal["y"]
    else:
        params["focal_x"], params["focal_y"] = focal["x"], focal["y"]
    faces = [
        [f["x"], f["y"], f["w"], f["h"]]
        for f in focal.get("faces", [])
        if {"x", "y", "w", "h"} <= set(f)
    ]
    if faces and source != "user":
        params["faces"] = faces
    text = [
        [t["x"], t["y"], t["w"], t["h"]]
        for t in focal.get("text", [])
        if {"x", "y", "w", "h"} <= set(t)
    ]
    if text:
        params["text"] = text
    return params


def page_context(asset) -> dict[str, Any]:
    """What the Social page's previews need: every format's geometry, and the focal point."""
    formats = [
        {
            "key": f.key,
            "label": f.label,
            "platform": f.platform_label,
            "w": f.width,
            "h": f.height,
            "safe": [f.safe.top, f.safe.bottom, f.safe.left, f.safe.right],
            "max_mb": round(f.max_bytes / 1024 / 1024, 1),
            "min": [f.min_width, f.min_height],
        }
        for f in FORMATS
    ]
    focal = asset.focal_point or {}
    return {
        "formats": formats,
        "focal": focal,
        "has_focal": "x" in focal,
        "detected": detected_point(focal),
    }


def record_exports(*, job, inputs: list, created: list) -> None:
    """Count each platform a pack exported the source image to (library usage)."""
    if not inputs:
        return
    for asset in created:
        key = (asset.metadata or {}).get("format_key")
        if key and asset.metadata.get("role") == "rendition":
            asset_export_record(asset_id=inputs[0].pk, target=key)
