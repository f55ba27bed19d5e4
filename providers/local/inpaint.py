"""Erase / fill a masked area, and extend the canvas (outpaint), without a neural model.

Three classic fillers:

* OpenCV's Telea fast-marching inpainting propagates the surrounding colours inwards.
  It is quick and clean on scratches, wires, text and blemishes (thin masks).
* A smooth fill: a multi-scale membrane (push–pull over an image pyramid, then
  relaxation) that blends the colours around the hole into it, with film grain
  matched to its surroundings. Right for skies, walls and studio backdrops.
* PatchMatch (``pypatchmatch``) copies patches of texture, for wood, grass, fabric.

For larger holes ``auto`` measures how textured the ring around the hole is, spreads
that measure into the hole, and mixes the two fills per pixel: texture where the
surroundings are textured, the smooth fill where they are smooth. PatchMatch may only
copy from a band around the hole (about the hole's own radius wide) and never from
a detected face, so it cannot paste a second face or a far-away object into the gap.
Near the hole's edge the texture's low frequencies are pulled towards the smooth
fill, which matches the surroundings exactly, so the seam does not show.

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

METHODS = ("auto", "smooth", "telea", "patchmatch")
# Masks whose largest inscribed circle has at most this radius (px) count as thin.
THIN_RADIUS = 6
# The mask is grown by this much (px) to cover anti-aliased edges and halos.
GROW = 3
TELEA_WORK_SIDE = 2048
PATCHMATCH_WORK_SIDE = 1024
PATCHMATCH_PATCH = 3
MAX_CANVAS_PIXELS = 50_000_000
MAX_EXTEND = 4096
# PatchMatch copies from pixels at most this far from the hole: the hole's inscribed
# radius, within these bounds (working-resolution px).
SOURCE_BAND_MIN = 16
SOURCE_BAND_MAX = 96
# Texture energy (std of the luma's fine detail, 8-bit levels) below LOW counts as
# smooth, above HIGH as textured; in between the two fills are mixed.
TEXTURE_LOW = 2.5
TEXTURE_HIGH = 6.0
# Below this share of textured pixels, ``auto`` does not run PatchMatch at all.
MIN_TEXTURE_SHARE = 0.05
# Depth (working px) over which the texture's colours are eased into the smooth fill.
SEAM_DEPTH = 8.0

OUTPAINT_NOTE = (
    "The new area continues the colours at the picture's edges as a soft, grained fill; "
    "it invents no new objects. Choose PatchMatch to copy texture from near the edges "
    "instead: it may repeat or mismatch patterns over structured content."
)
FALLBACK_NOTE = "PatchMatch is not available here, so the smooth fill was used."

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


def source_band(radius: float) -> int:
    """Width (px) of the band around a hole of inscribed ``radius`` that texture may come from."""
    return int(min(SOURCE_BAND_MAX, max(SOURCE_BAND_MIN, round(radius))))


def _region(hole: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    """Return the box (x0, y0, x1, y1) around the hole plus ``margin`` px of context."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    return max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin)


# ----------------------------------------------------------------------------- smooth fill


def smooth_fill(img: np.ndarray, hole: np.ndarray, *, relax: int = 12) -> np.ndarray:
    """Fill ``hole`` of ``img`` (float32 HxW or HxWxC) with a smooth membrane.

    Push–pull: known pixels are averaged down an image pyramid until the hole has
    closed, then each level's hole is filled from the level below (bilinear) and
    relaxed towards the mean of its neighbours. Pixels outside ``hole`` are kept.
    """
    known = (~hole).astype(np.float32)
    if not known.any():
        raise InvalidInput("The mask covers the whole image: there is nothing to fill from.")
    levels = [(img, known)]
    while (levels[-1][1] < 1.0).any() and min(levels[-1][1].shape[:2]) > 1:
        cur, wt = levels[-1]
        h, w = wt.shape
        size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
        wsum = cv2.resize(wt, size, interpolation=cv2.INTER_AREA)
        vsum = cv2.resize(
            cur * (wt[..., None] if cur.ndim == 3 else wt), size, interpolation=cv2.INTER_AREA
        )
        ok = wsum > 1e-6
        safe = np.where(ok, wsum, 1.0)
        val = vsum / (safe[..., None] if cur.ndim == 3 else safe)
        levels.append((val.astype(np.float32), ok.astype(np.float32)))
    filled, _ = levels[-1]
    for cur, wt in reversed(levels[:-1]):
        h, w = wt.shape
        up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
        gap = wt < 1.0
        out = np.where(gap[..., None] if cur.ndim == 3 else gap, up, cur)
        if gap.any():
            for _ in range(relax):
                mean = cv2.blur(out, (3, 3), borderType=cv2.BORDER_REPLICATE)
                out = np.where(gap[..., None] if cur.ndim == 3 else gap, mean, cur)
        filled = out.astype(np.float32)
    return filled


# ----------------------------------------------------------------------------- helpers


def texture_energy(rgb: np.ndarray) -> np.ndarray:
    """Local std of the luma's fine detail (8-bit levels), HxW float32."""
    y = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    detail = y - cv2.GaussianBlur(y, (0, 0), 1.5)
    return np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), 4.0))


def face_boxes(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Faces in ``rgb`` (boxes grown by a quarter), so texture is never copied from them.

    Detection runs on a copy of at most 1024 px; boxes are in ``rgb``'s pixels.
    """
    from . import focal

    h, w = rgb.shape[:2]
    if min(h, w) < 40:
        return []
    dw, dh = arrays.fit_within((w, h), 1024)
    small = cv2.resize(rgb, (dw, dh), interpolation=cv2.INTER_AREA) if dw != w else rgb
    k = w / dw
    try:
        if focal.mtcnn_available():
            found = focal.detect_faces_mtcnn(small, min_face=20)
        else:
            found = focal.detect_faces_haar(small, min_face=20)
    except Exception:  # a detector failure must not fail the erase itself
        logger.warning("face detection failed while filling", exc_info=True)
        return []
    boxes = []
    for *box, score in found:
        if score < 0.8:
            continue
        x1, y1, x2, y2 = (v * k for v in box)
        gx, gy = (x2 - x1) * 0.25, (y2 - y1) * 0.25
        boxes.append(
            (
                max(0, int(x1 - gx)),
                max(0, int(y1 - gy)),
                min(w, int(x2 + gx) + 1),
                min(h, int(y2 + gy) + 1),
            )
        )
    return boxes


def _patchmatch(
    src: np.ndarray, hole: np.ndarray, band: int, faces: list[tuple[int, int, int, int]]
) -> np.ndarray:
    """PatchMatch fill copying only from the band around ``hole`` and never from ``faces``."""
    dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3)
    blocked = (dist > band) & ~hole
    for x0, y0, x1, y1 in faces:
        blocked[y0:y1, x0:x1] = True
    blocked &= ~hole
    if (~blocked & ~hole).sum() < 64:  # almost no source left: lift the face rule
        blocked = (dist > band) & ~hole
    pm = patchmatch_module()
    with _pm_lock:
        # The seed is global to the native library; set it per call for reproducibility.
        pm.set_random_seed(0)
        filled = pm.inpaint(
            np.ascontiguousarray(src),
            hole.astype(np.uint8) * 255,
            global_mask=blocked.astype(np.uint8) * 255,
            patch_size=PATCHMATCH_PATCH,
        )
    return filled


def _grain(hole: np.ndarray, rgb: np.ndarray, band: int) -> np.ndarray:
    """Noise with the strength of the surroundings' fine grain, inside ``hole`` (float32)."""
    y = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    detail = y - cv2.GaussianBlur(y, (0, 0), 0.8)
    near = (~hole) & (cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3) <= band)
    if not near.any():
        return np.zeros(hole.shape, np.float32)
    # Fine grain only: strong detail (edges) would turn into speckle.
    sigma = float(np.clip(np.median(np.abs(detail[near])) * 1.4826, 0.0, 4.0))
    noise = np.random.default_rng(0).normal(0.0, sigma, hole.shape).astype(np.float32)
    return np.where(hole, noise, 0.0).astype(np.float32)


def _fill_region(
    rgb: np.ndarray,
    hole: np.ndarray,
    method: str,
    radius: float,
    *,
    faces: list[tuple[int, int, int, int]] = (),
    texture_reach: float | None = None,
    max_band: int | None = None,
) -> tuple[np.ndarray, dict]:
    """Fill ``hole`` (bool HxW) of ``rgb`` with ``method`` at a capped resolution.

    ``faces`` are boxes (in ``rgb``'s pixels) texture must not come from;
    ``texture_reach`` (px) fades texture out with depth into the hole (outpainting);
    ``max_band`` (px) narrows the band texture may come from.
    """
    h, w = hole.shape
    side = TELEA_WORK_SIDE if method == "telea" else PATCHMATCH_WORK_SIDE
    work_w, work_h = arrays.fit_within((w, h), side)
    scaled = (work_w, work_h) != (w, h)
    factor = work_w / w
    src = cv2.resize(rgb, (work_w, work_h), interpolation=cv2.INTER_AREA) if scaled else rgb
    mask = hole.astype(np.uint8) * 255
    if scaled:
        mask = cv2.resize(mask, (work_w, work_h), interpolation=cv2.INTER_AREA)
        mask = np.where(mask > 0, 255, 0).astype(np.uint8)
    work_hole = mask > 0
    info: dict = {}
    if method == "telea":
        r = max(3, min(12, round(hole_radius(work_hole) / 2)))
        filled = cv2.inpaint(src, mask, r, cv2.INPAINT_TELEA)
    else:
        band = source_band(radius * factor)
        if max_band:
            band = max(4, min(band, round(max_band * factor)))
        smooth = smooth_fill(src.astype(np.float32), work_hole)
        if method == "smooth":
            texture = np.zeros(work_hole.shape, np.float32)
        elif method == "patchmatch":
            texture = np.ones(work_hole.shape, np.float32)
        else:
            dist = cv2.distanceTransform((~work_hole).astype(np.uint8), cv2.DIST_L2, 3)
            ring = (~work_hole) & (dist <= band)
            energy = arrays.smoothstep(texture_energy(src), TEXTURE_LOW, TEXTURE_HIGH)
            # Spread the ring's texture measure into the hole like a colour.
            texture = smooth_fill(
                np.where(ring, energy, 0.0).astype(np.float32), work_hole | ~ring, relax=4
            )
            # Mix regions as broad as the band: a patchy mix would show as blotches.
            texture = cv2.GaussianBlur(texture, (0, 0), max(2.0, band / 2))
            texture = np.clip(np.where(work_hole, texture, 0.0), 0.0, 1.0)
        if texture_reach:
            depth = cv2.distanceTransform(work_hole.astype(np.uint8), cv2.DIST_L2, 3)
            texture = texture * np.exp(-((depth / (texture_reach * factor)) ** 2))
        share = float(texture[work_hole].mean()) if work_hole.any() else 0.0
        result = smooth + _grain(work_hole, src, band)[..., None]
        if method == "patchmatch" or (method == "auto" and share >= MIN_TEXTURE_SHARE):
            work_faces = [tuple(round(v * factor) for v in box) for box in faces]
            # Start from the smooth fill: whatever the hole held (an erased object, a
            # mirrored border) must not leak into the texture.
            start = np.where(work_hole[..., None], np.clip(smooth + 0.5, 0, 255), src)
            patched = _patchmatch(start.astype(np.uint8), work_hole, band, work_faces)
            patched = patched.astype(np.float32)
            # Ease the texture's low frequencies into the smooth fill near the edge.
            depth = cv2.distanceTransform(work_hole.astype(np.uint8), cv2.DIST_L2, 3)
            ease = np.exp(-((depth / SEAM_DEPTH) ** 2))[..., None]
            low = lambda x: cv2.GaussianBlur(x, (0, 0), SEAM_DEPTH / 2)  # noqa: E731
            patched += ease * (low(smooth) - low(patched))
            t = texture[..., None]
            result = patched * t + result * (1.0 - t)
            info["source_band_px"] = round(band / factor)
            info["faces_avoided"] = len(faces)
        info["texture_share"] = round(share, 3)
        filled = np.clip(result + 0.5, 0, 255).astype(np.uint8)
        filled = np.where(work_hole[..., None], filled, src)
    if scaled:
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC)
    return filled, info


def fill(
    rgb: np.ndarray,
    mask: np.ndarray,
    *,
    method: str = "auto",
    texture_reach: float | None = None,
    max_band: int | None = None,
) -> tuple[np.ndarray, dict]:
    """Return ``rgb`` with the white part of ``mask`` filled in, and a meta dict.

    ``method`` is ``auto`` (Telea for thin masks; for larger areas texture where the
    surroundings are textured, a smooth fill where they are smooth), ``smooth``,
    ``telea`` or ``patchmatch``. Without PatchMatch the smooth fill is used and the
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
    if method == "auto" and radius <= THIN_RADIUS:
        chosen = "telea"
    meta: dict = {"hole_radius_px": round(radius, 1)}
    if chosen in ("auto", "patchmatch") and patchmatch_module() is None:
        chosen = "smooth"
        meta["fallback"] = FALLBACK_NOTE

    margin = max(48, source_band(radius) + 16) if chosen != "telea" else 48
    x0, y0, x1, y1 = _region(hole, margin)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    crop_hole = hole[y0:y1, x0:x1]
    faces = []
    if chosen in ("auto", "patchmatch"):
        for fx0, fy0, fx1, fy1 in face_boxes(rgb):
            box = (fx0 - x0, fy0 - y0, fx1 - x0, fy1 - y0)
            if box[2] > 0 and box[3] > 0 and box[0] < x1 - x0 and box[1] < y1 - y0:
                faces.append(tuple(max(0, v) for v in box))
    filled, info = _fill_region(
        crop, crop_hole, chosen, radius, faces=faces, texture_reach=texture_reach, max_band=max_band
    )
    if chosen == "auto":
        chosen = "patchmatch" if "source_band_px" in info else "smooth"
    meta["method"] = chosen
    meta.update(info)
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
    # ``auto`` continues the edges smoothly (with matched grain): copying texture into
    # a wide frame repeats whatever lies near the border (a second arm, a second
    # shuttle). An explicit ``patchmatch`` copies texture from the border band, fading
    # to the smooth fill over half the margin.
    if method == "auto":
        method = "smooth"
    reach = max(24.0, 0.5 * max(left, right, up, down))
    # Texture only from a strip along the edges (a tenth of the picture's short side):
    # a wider band would carry whole objects (a badge, a shuttle) out into the margin.
    strip = max(16, min(h, w) // 10)
    filled, meta = fill(canvas, mask, method=method, texture_reach=reach, max_band=strip)
    # The mask is grown to hide seams; keep every original pixel exactly.
    filled[up : up + h, left : left + w] = rgb
    new_alpha = None
    if alpha is not None:
        new_alpha = cv2.copyMakeBorder(alpha, up, down, left, right, cv2.BORDER_REPLICATE)
    meta["note"] = OUTPAINT_NOTE
    meta["added"] = {"left": left, "right": right, "up": up, "down": down}
    return filled, new_alpha, meta
