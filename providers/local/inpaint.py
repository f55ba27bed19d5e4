"""Erase / fill a masked area, and extend the canvas (outpaint), without a neural model.

Two classic fillers, chosen by how thick the hole is:

* OpenCV's Telea fast-marching inpainting propagates the surrounding colours inwards.
  It is quick and clean on scratches, wires, text and blemishes, but smears large holes.
* PatchMatch (``pypatchmatch``) copies whole patches of texture from elsewhere in the
  image, which suits removing objects. On large holes over structured content it may
  copy unrelated patches; results report that honestly.

Only a region around the hole is processed, at a capped working resolution, and the
fill is pasted back with a soft edge: pixels away from the mask are returned untouched.
"""

from __future__ import annotations

import logging
import threading

import cv2
import numpy as np

from ..base import InvalidInput
from . import arrays, weights

logger = logging.getLogger(__name__)

METHODS = ("auto", "telea", "patchmatch")
# Masks whose largest inscribed circle has at most this radius (px) count as thin.
THIN_RADIUS = 6
# The mask is grown by this much (px) to cover anti-aliased edges and halos.
GROW = 3
TELEA_WORK_SIDE = 2048
PATCHMATCH_WORK_SIDE = 1024
PATCHMATCH_PATCH = 3
MAX_CANVAS_PIXELS = 50_000_000
MAX_EXTEND = 4096

OUTPAINT_NOTE = (
    "The new area is filled from the picture's own texture; large fills over structured "
    "content (faces, text, buildings) may repeat or mismatch patterns."
)
FALLBACK_NOTE = "PatchMatch is not available here, so the simpler Telea fill was used."

_pm_lock = threading.Lock()


def _load_patchmatch():
    try:
        import patchmatch
    except ImportError:
        return None
    return patchmatch if patchmatch.patchmatch_available else None


def patchmatch_module():
    """Return the ``patchmatch`` module when its native library loads, else ``None``."""
    return weights.cached("patchmatch", _load_patchmatch)


def hole_radius(hole: np.ndarray) -> float:
    """Radius (px) of the largest circle that fits inside the binary ``hole``."""
    if not hole.any():
        return 0.0
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    return float(dist.max())


def _region(hole: np.ndarray) -> tuple[int, int, int, int]:
    """Return the box (x0, y0, x1, y1) around the hole plus enough context to copy from."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    margin = max(48, int(1.0 * max(x1 - x0, y1 - y0)))
    return max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin)


def _fill_region(rgb: np.ndarray, hole: np.ndarray, method: str) -> np.ndarray:
    """Fill ``hole`` (bool HxW) of ``rgb`` with ``method``, at a capped resolution."""
    h, w = hole.shape
    side = PATCHMATCH_WORK_SIDE if method == "patchmatch" else TELEA_WORK_SIDE
    work_w, work_h = arrays.fit_within((w, h), side)
    scaled = (work_w, work_h) != (w, h)
    src = cv2.resize(rgb, (work_w, work_h), interpolation=cv2.INTER_AREA) if scaled else rgb
    mask = hole.astype(np.uint8) * 255
    if scaled:
        mask = cv2.resize(mask, (work_w, work_h), interpolation=cv2.INTER_AREA)
        mask = np.where(mask > 0, 255, 0).astype(np.uint8)
    if method == "patchmatch":
        pm = patchmatch_module()
        with _pm_lock:
            # The seed is global to the native library; set it per call for
            # reproducible results.
            pm.set_random_seed(0)
            filled = pm.inpaint(np.ascontiguousarray(src), mask, patch_size=PATCHMATCH_PATCH)
    else:
        radius = max(3, min(12, round(hole_radius(mask > 0) / 2)))
        filled = cv2.inpaint(src, mask, radius, cv2.INPAINT_TELEA)
    if scaled:
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC)
    return filled


def fill(rgb: np.ndarray, mask: np.ndarray, *, method: str = "auto") -> tuple[np.ndarray, dict]:
    """Return ``rgb`` with the white part of ``mask`` filled in, and a meta dict.

    ``method`` is ``auto`` (Telea for thin masks, PatchMatch for larger areas),
    ``telea`` or ``patchmatch``. When PatchMatch cannot load, Telea is used and the
    meta says so.
    """
    if method not in METHODS:
        raise InvalidInput(f"Fill method must be one of: {', '.join(METHODS)}.")
    hard = mask >= 128
    if not hard.any():
        raise InvalidInput("The mask is empty: paint the area to change in white.")
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * GROW + 1, 2 * GROW + 1))
    hole = cv2.dilate(hard.astype(np.uint8), kernel) > 0
    if hole.all():
        raise InvalidInput("The mask covers the whole image: there is nothing to fill from.")
    # Judge thickness on the mask as painted, before it is grown.
    radius = hole_radius(hard)
    chosen = method
    if method == "auto":
        chosen = "telea" if radius <= THIN_RADIUS else "patchmatch"
    meta: dict = {"hole_radius_px": round(radius, 1)}
    if chosen == "patchmatch" and patchmatch_module() is None:
        chosen = "telea"
        meta["fallback"] = FALLBACK_NOTE
        logger.info("PatchMatch unavailable; filling with Telea")
    meta["method"] = chosen

    x0, y0, x1, y1 = _region(hole)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    crop_hole = hole[y0:y1, x0:x1]
    filled = _fill_region(crop, crop_hole, chosen)
    # Soft edge inside the grown hole only: outside it the weight is exactly 0.
    weight = cv2.GaussianBlur(crop_hole.astype(np.float32), (0, 0), sigmaX=GROW / 2)
    weight = np.where(crop_hole, np.maximum(weight, hard[y0:y1, x0:x1]), 0.0)
    out = rgb.copy()
    out[y0:y1, x0:x1] = arrays.blend(filled, crop, weight.astype(np.float32))
    return out, meta


def outpaint(
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    *,
    left: int = 0,
    right: int = 0,
    up: int = 0,
    down: int = 0,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """Extend the canvas by the given margins (px) and fill the new area.

    Returns ``(rgb, alpha, meta)``; ``alpha`` (if any) is extended from the edges.
    """
    for name, value in (("left", left), ("right", right), ("up", up), ("down", down)):
        if not 0 <= value <= MAX_EXTEND:
            raise InvalidInput(f"The {name} margin must be between 0 and {MAX_EXTEND} px.")
    if not any((left, right, up, down)):
        raise InvalidInput("Give at least one side to extend.")
    h, w = rgb.shape[:2]
    new_w, new_h = w + left + right, h + up + down
    if new_w * new_h > MAX_CANVAS_PIXELS:
        raise InvalidInput(
            f"The extended image would be {new_w}×{new_h} px, over the "
            f"{MAX_CANVAS_PIXELS // 1_000_000} MP limit."
        )
    # Mirrored content is a better start for the fill than a flat colour.
    canvas = cv2.copyMakeBorder(rgb, up, down, left, right, cv2.BORDER_REFLECT_101)
    mask = np.full((new_h, new_w), 255, dtype=np.uint8)
    mask[up : up + h, left : left + w] = 0
    filled, meta = fill(canvas, mask, method=method)
    # The mask is grown to hide seams; keep every original pixel exactly.
    filled[up : up + h, left : left + w] = rgb
    new_alpha = None
    if alpha is not None:
        new_alpha = cv2.copyMakeBorder(alpha, up, down, left, right, cv2.BORDER_REPLICATE)
    meta["note"] = OUTPAINT_NOTE
    meta["added"] = {"left": left, "right": right, "up": up, "down": down}
    return filled, new_alpha, meta
