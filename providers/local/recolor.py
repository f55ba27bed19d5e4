"""Recolour a masked region in CIE LCh (the polar form of L*a*b*).

Hue is replaced by the target's hue and chroma is rescaled so the region's average
chroma matches the target's while each pixel keeps its relative saturation; lightness
stays as it was (optionally nudged towards the target's), so folds, shading and
highlights survive. Only the mask's bounding box is converted.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..base import InvalidInput
from . import arrays


def _rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def hex_to_lch(value: str) -> tuple[float, float, float]:
    """Return (L, C, h in radians) of a hex colour."""
    rgb = np.array([[arrays.parse_hex(value, label="Target colour")]], dtype=np.uint8)
    lab = _rgb_to_lab(rgb)[0, 0]
    return float(lab[0]), math.hypot(lab[1], lab[2]), math.atan2(lab[2], lab[1])


def _in_gamut(lab: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    # OpenCV clips float RGB to 0..1, so an out-of-gamut colour shows up as a round
    # trip that does not come back to where it started.
    back = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    return np.abs(back - lab).max(axis=-1) < 0.75


def _to_rgb_in_gamut(lab: np.ndarray, steps: int = 7) -> np.ndarray:
    """Convert L*a*b* to RGB (0..1), reducing chroma where a colour falls outside sRGB.

    Clipping RGB channels instead would shift lightness and hue; lowering chroma keeps
    both (a bisection per out-of-gamut pixel).
    """
    rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    bad = ~_in_gamut(lab, rgb)
    if not bad.any():
        return rgb
    pix = lab[bad][None]
    lo = np.zeros(pix.shape[1], dtype=np.float32)
    hi = np.ones(pix.shape[1], dtype=np.float32)
    for _ in range(steps):
        mid = (lo + hi) / 2
        trial = pix.copy()
        trial[0, :, 1:] *= mid[:, None]
        ok = _in_gamut(trial, cv2.cvtColor(trial, cv2.COLOR_LAB2RGB))[0]
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    pix[0, :, 1:] *= lo[:, None]
    rgb[bad] = cv2.cvtColor(pix, cv2.COLOR_LAB2RGB)[0]
    return rgb


def recolor(
    rgb: np.ndarray,
    mask: np.ndarray,
    *,
    color: str,
    strength: float = 1.0,
    lightness: float = 0.0,
) -> tuple[np.ndarray, dict]:
    """Return ``rgb`` with the masked region turned towards ``color``, and a meta dict.

    ``mask`` is HxW uint8 (white = recolour, grey = partly). ``strength`` (0–1) blends
    the new colour in; ``lightness`` (0–1) moves the region's mean lightness towards the
    target's (0 keeps the original lightness exactly).
    """
    if not 0 <= strength <= 1 or not 0 <= lightness <= 1:
        raise InvalidInput("Strength and lightness must be between 0 and 1.")
    target_l, target_c, target_h = hex_to_lch(color)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        raise InvalidInput("The mask is empty: paint the area to recolour in white.")
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    weight = mask[y0:y1, x0:x1].astype(np.float32) / 255.0
    lab = _rgb_to_lab(rgb[y0:y1, x0:x1])
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    total = max(float(weight.sum()), 1e-6)
    mean_c = float((chroma * weight).sum() / total)
    mean_l = float((lab[..., 0] * weight).sum() / total)
    # Relative chroma (+4 keeps near-grey areas from blowing up) scaled to the target's.
    new_c = target_c * (chroma + 4.0) / (mean_c + 4.0)
    new_c = np.minimum(new_c, target_c * 1.6 + 10.0)
    new = np.empty_like(lab)
    new[..., 0] = lab[..., 0] + lightness * (target_l - mean_l)
    new[..., 1] = new_c * math.cos(target_h)
    new[..., 2] = new_c * math.sin(target_h)
    w = (weight * strength)[..., None]
    mixed = lab + (new - lab) * w
    out_rgb = _to_rgb_in_gamut(mixed)
    region = np.clip(out_rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    # Outside the mask the original bytes are kept (no round trip through L*a*b*).
    keep = weight <= 0
    region[keep] = rgb[y0:y1, x0:x1][keep]
    out = rgb.copy()
    out[y0:y1, x0:x1] = region
    meta = {
        "target": color if color.startswith("#") else f"#{color}",
        "region_mean_chroma_before": round(mean_c, 2),
        "region_mean_lightness": round(mean_l, 2),
    }
    return out, meta
