"""Replace the background: cut the subject out, harmonise it, composite it on a new one.

Harmonisation is a partial colour transfer (Reinhard et al., "Color Transfer between
Images") in CIE L*a*b*: the subject's per-channel mean and spread move part of the
way towards the new background's, so a subject shot under warm light does not look
pasted onto a cool backdrop. It is applied as a per-channel lookup table on 8-bit
L*a*b*, which costs almost nothing at 12 MP. An optional light gradient brightens the
side of the subject that faces the brighter side of the background.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageOps

from ..base import InvalidInput
from . import arrays, imaging, matting

BACKGROUNDS = ("color", "gradient", "image")
LIGHTS = ("auto", "none", "left", "right", "top", "bottom")
_STATS_SIDE = 512
# Share of the background's L*, a*, b* statistics taken at full strength, and the
# largest shift of each channel's mean (8-bit L*a*b* units).
_TRANSFER = (0.5, 0.6, 0.6)
_MAX_SHIFT = (25.0, 14.0, 14.0)


def make_background(
    size: tuple[int, int],
    *,
    kind: str,
    color: str = "#ffffff",
    color2: str = "#d0d7e2",
    angle: float = 90.0,
    image: bytes | None = None,
) -> np.ndarray:
    """Return an HxWx3 uint8 background of ``size`` (w, h).

    ``gradient`` runs from ``color`` to ``color2`` along ``angle`` degrees (0 = left to
    right, 90 = top to bottom); ``image`` is scaled to cover the canvas and centred.
    """
    w, h = size
    if kind == "color":
        return np.full((h, w, 3), arrays.parse_hex(color), dtype=np.uint8)
    if kind == "gradient":
        c1 = np.array(arrays.parse_hex(color), dtype=np.float32)
        c2 = np.array(arrays.parse_hex(color2, label="Second colour"), dtype=np.float32)
        rad = math.radians(angle)
        dx, dy = math.cos(rad), math.sin(rad)
        xs = np.linspace(-0.5, 0.5, w, dtype=np.float32) * w
        ys = np.linspace(-0.5, 0.5, h, dtype=np.float32) * h
        extent = abs(dx) * w + abs(dy) * h
        out = np.empty((h, w, 3), dtype=np.uint8)
        for y0 in range(0, h, arrays.STRIP_ROWS):
            proj = xs[None, :] * dx + ys[y0 : y0 + arrays.STRIP_ROWS, None] * dy
            t = np.clip(proj / max(extent, 1.0) + 0.5, 0.0, 1.0)[..., None]
            out[y0 : y0 + arrays.STRIP_ROWS] = (c1 + (c2 - c1) * t + 0.5).astype(np.uint8)
        return out
    if kind == "image":
        if not image:
            raise InvalidInput("Upload a background image, or choose a colour or gradient.")
        bg = imaging.open_image(image).convert("RGB")
        bg = ImageOps.fit(bg, (w, h), Image.Resampling.LANCZOS)
        return np.asarray(bg).copy()
    raise InvalidInput(f"Background must be one of: {', '.join(BACKGROUNDS)}.")


def _small(arr: np.ndarray) -> np.ndarray:
    h, w = arr.shape[:2]
    sw, sh = arrays.fit_within((w, h), _STATS_SIDE)
    return cv2.resize(arr, (sw, sh), interpolation=cv2.INTER_AREA) if (sw, sh) != (w, h) else arr


def _lab_stats(lab: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    pix = lab.reshape(-1, 3).astype(np.float32)
    if weight is None:
        return pix.mean(axis=0), pix.std(axis=0)
    wt = weight.reshape(-1).astype(np.float32)
    total = max(float(wt.sum()), 1e-6)
    mean = (pix * wt[:, None]).sum(axis=0) / total
    var = (((pix - mean) ** 2) * wt[:, None]).sum(axis=0) / total
    return mean, np.sqrt(var)


def harmonize(rgb: np.ndarray, alpha: np.ndarray, bg: np.ndarray, strength: float) -> np.ndarray:
    """Move the subject's L*a*b* statistics ``strength`` (0–1) of the way to ``bg``'s.

    Lightness moves less than colour, mean shifts are capped and spreads change by at
    most ±30 %, so the subject keeps its own colours, contrast and shading.
    """
    if strength <= 0:
        return rgb
    small_alpha = _small(alpha).astype(np.float32) / 255.0
    if float(small_alpha.sum()) < 1.0:
        return rgb
    subj_mean, subj_std = _lab_stats(cv2.cvtColor(_small(rgb), cv2.COLOR_RGB2LAB), small_alpha)
    bg_mean, bg_std = _lab_stats(cv2.cvtColor(_small(bg), cv2.COLOR_RGB2LAB))
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    levels = np.arange(256, dtype=np.float32)
    channels = []
    for c in range(3):
        k = strength * _TRANSFER[c]
        # A flat background (solid colour) has no spread worth copying.
        ratio = bg_std[c] / max(subj_std[c], 1e-3) if bg_std[c] >= 2.0 else 1.0
        ratio = float(np.clip(ratio, 0.7, 1.3))
        scale = 1.0 + k * (ratio - 1.0)
        # Capped so even full strength tints the subject rather than repainting it.
        shift = float(np.clip(k * (bg_mean[c] - subj_mean[c]), -_MAX_SHIFT[c], _MAX_SHIFT[c]))
        lut = np.clip((levels - subj_mean[c]) * scale + subj_mean[c] + shift + 0.5, 0, 255)
        channels.append(cv2.LUT(lab[..., c], lut.astype(np.uint8)))
    return cv2.cvtColor(np.dstack(channels), cv2.COLOR_LAB2RGB)


def light_direction(bg: np.ndarray) -> str:
    """Guess which side of ``bg`` is brighter: left/right/top/bottom, or ``none``."""
    grey = cv2.cvtColor(_small(bg), cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    diffs = {
        "left": grey[:, : w // 2].mean() - grey[:, w // 2 :].mean(),
        "top": grey[: h // 2].mean() - grey[h // 2 :].mean(),
    }
    axis = max(diffs, key=lambda k: abs(diffs[k]))
    if abs(diffs[axis]) < 12.0:  # under ~5 % of full scale: no clear direction
        return "none"
    if axis == "left":
        return "left" if diffs[axis] > 0 else "right"
    return "top" if diffs[axis] > 0 else "bottom"


def relight(rgb: np.ndarray, alpha: np.ndarray, direction: str, strength: float) -> np.ndarray:
    """Brighten the subject towards ``direction`` and darken it away, by ±``strength``/2."""
    if direction == "none" or strength <= 0:
        return rgb
    ys, xs = np.nonzero(alpha > 127)
    if len(xs) == 0:
        return rgb
    h, w = alpha.shape
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    vertical = direction in ("top", "bottom")
    if vertical:
        t = np.clip((np.arange(h, dtype=np.float32) - y0) / max(y1 - y0, 1), 0, 1)
    else:
        t = np.clip((np.arange(w, dtype=np.float32) - x0) / max(x1 - x0, 1), 0, 1)
    towards_start = direction in ("left", "top")
    gain = 1.0 + strength * ((0.5 - t) if towards_start else (t - 0.5))
    out = np.empty_like(rgb)
    for y in range(0, h, arrays.STRIP_ROWS):
        sl = slice(y, y + arrays.STRIP_ROWS)
        g = gain[sl, None, None] if vertical else gain[None, :, None]
        out[sl] = np.clip(rgb[sl].astype(np.float32) * g + 0.5, 0, 255).astype(np.uint8)
    return out


def replace_background(
    img: Image.Image,
    *,
    kind: str = "color",
    color: str = "#ffffff",
    color2: str = "#d0d7e2",
    angle: float = 90.0,
    image: bytes | None = None,
    harmonize_strength: float = 0.3,
    light: str = "auto",
    light_strength: float = 0.25,
    refine: bool = True,
    feather: float = 1.0,
) -> tuple[Image.Image, dict]:
    """Return the subject of ``img`` on a new background, and a meta dict."""
    if kind not in BACKGROUNDS:
        raise InvalidInput(f"Background must be one of: {', '.join(BACKGROUNDS)}.")
    if light not in LIGHTS:
        raise InvalidInput(f"Light must be one of: {', '.join(LIGHTS)}.")
    bg = make_background(img.size, kind=kind, color=color, color2=color2, angle=angle, image=image)
    rgb, alpha = matting.cut_out(img, refine=refine, feather=feather)
    coverage = float((alpha > 127).mean())
    if coverage == 0.0:
        raise InvalidInput("No subject was found in the image to put on a new background.")
    subject = harmonize(rgb, alpha, bg, harmonize_strength)
    direction = light_direction(bg) if light == "auto" else light
    subject = relight(subject, alpha, direction, light_strength)
    out = arrays.blend(subject, bg, alpha)
    meta = {
        "background": kind,
        "harmonize": harmonize_strength,
        "light": direction,
        "subject_coverage": round(coverage, 4),
    }
    return Image.fromarray(out, "RGB"), meta
