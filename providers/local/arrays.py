"""Array helpers shared by the local engine's operations: masks, colours, filtering."""

from __future__ import annotations

import re

import cv2
import numpy as np
from PIL import Image

from ..base import InvalidInput
from . import imaging

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# Rows handled at once when blending full-size images, so a 12 MP image never needs
# several full-size float32 copies at the same time.
STRIP_ROWS = 512


def parse_hex(value: str, *, label: str = "Colour") -> tuple[int, int, int]:
    """Return ``(r, g, b)`` for ``#rgb`` or ``#rrggbb``; raise ``InvalidInput`` otherwise."""
    match = _HEX.match(str(value).strip())
    if not match:
        raise InvalidInput(f"{label} must be a hex colour such as #1e90ff.")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def split_rgb_alpha(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the image as an RGB ``uint8`` array and its alpha channel (or ``None``)."""
    if imaging.has_alpha(img):
        rgba = np.asarray(img.convert("RGBA"))
        return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])
    return np.asarray(img.convert("RGB")).copy(), None


def join_rgb_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> Image.Image:
    if alpha is None:
        return Image.fromarray(rgb, "RGB")
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def load_mask(data: bytes | None, size: tuple[int, int]) -> np.ndarray:
    """Decode a mask (white = change) into a ``uint8`` array of ``size`` (w, h).

    A mask drawn on a transparent layer counts only where it is opaque. A mask of
    another size is stretched to the image. Raises ``InvalidInput`` for an empty mask.
    """
    if not data:
        raise InvalidInput("A mask is required: paint the area to change.")
    mask_img = imaging.open_image(data)
    if imaging.has_alpha(mask_img):
        la = np.asarray(mask_img.convert("LA"))
        # An opaque mask carries the information in its grey levels; strokes painted on
        # a transparent layer (in any colour) carry it in their alpha.
        mask = la[..., 0].copy() if la[..., 1].min() == 255 else la[..., 1].copy()
    else:
        mask = np.asarray(mask_img.convert("L")).copy()
    if (mask.shape[1], mask.shape[0]) != tuple(size):
        mask = cv2.resize(mask, tuple(size), interpolation=cv2.INTER_LINEAR)
    if int(mask.max()) < 128:
        raise InvalidInput("The mask is empty: paint the area to change in white.")
    return mask


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    k = 2 * radius + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, *, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` that follows the edges of ``guide``.

    He, Sun & Tang, "Guided Image Filtering" (grey guide variant). Both arrays are
    float32 in 0..1; returns a float32 array shaped like ``src``.
    """
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(src, radius)
    cov_ip = box_mean(guide * src, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius) * guide + box_mean(b, radius)


def smoothstep(x: np.ndarray, low: float, high: float) -> np.ndarray:
    t = np.clip((x - low) / max(high - low, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def blend(fg: np.ndarray, bg: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return ``fg * weight + bg * (1 - weight)`` as uint8, strip by strip.

    ``fg``/``bg`` are HxWx3 uint8, ``weight`` HxW (uint8 0–255 or float 0–1).
    """
    out = np.empty_like(fg)
    scale = 1.0 / 255.0 if weight.dtype == np.uint8 else 1.0
    for y in range(0, fg.shape[0], STRIP_ROWS):
        sl = slice(y, y + STRIP_ROWS)
        w = weight[sl].astype(np.float32)[..., None] * scale
        f = fg[sl].astype(np.float32)
        b = bg[sl].astype(np.float32)
        out[sl] = np.clip(b + (f - b) * w + 0.5, 0, 255).astype(np.uint8)
    return out


def fit_within(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """Return ``size`` (w, h) scaled down to fit ``max_side`` (never up)."""
    w, h = size
    scale = min(1.0, max_side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))
