"""Applying a palette to an image, and exporting palettes for design tools.

Two ways to apply a palette:

* ``map`` replaces every pixel by the nearest palette colour (CIE L*a*b* distance),
  for posters, pixel art and brand-strict graphics. With ``dither`` Floyd–Steinberg
  error diffusion (Pillow's, in RGB) mixes neighbouring palette colours so gradients
  survive as patterns instead of bands.
* ``tint`` keeps each pixel's lightness, so shading and detail stay, and pulls its
  colour (a*, b*) towards the nearest palette colours' (a distance-weighted blend, so
  no hard borders appear where two palette colours are equally near): a soft grade.

``strength`` (0–1) blends the result with the original in both modes. Alpha is kept.

Exports: GIMP/Inkscape ``.gpl`` text, Adobe Swatch Exchange ``.ase`` (binary, version
1.0, one group of RGB "normal" colours) and CSS custom properties.
"""

from __future__ import annotations

import re
import struct

import cv2
import numpy as np
from PIL import Image

from ..base import InvalidInput
from . import arrays
from .imaging import normalise_mode

APPLY_MODES = ("map", "tint")
MIN_COLOURS = 2
MAX_COLOURS = 32
_CHUNK = 1 << 18
TINT_SPREAD = 10.0  # ΔE over which the tint blends neighbouring palette colours  # pixels per nearest-colour step: keeps the distance table small


def parse_colours(colours) -> np.ndarray:
    """Return the palette as a K×3 uint8 array from hex strings or ``{"hex"}``/``{"rgb"}``."""
    values = []
    for colour in colours or []:
        if isinstance(colour, dict):
            colour = colour.get("hex") or "#{:02x}{:02x}{:02x}".format(*colour.get("rgb", ()))
        values.append(arrays.parse_hex(str(colour), label="Palette colour"))
    if not MIN_COLOURS <= len(values) <= MAX_COLOURS:
        raise InvalidInput(
            f"A palette to apply has between {MIN_COLOURS} and {MAX_COLOURS} colours; "
            f"this one has {len(values)}."
        )
    return np.array(values, dtype=np.uint8)


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def nearest(lab: np.ndarray, palette_lab: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour for each pixel of ``lab`` (N×3)."""
    out = np.empty(len(lab), dtype=np.int64)
    p2 = (palette_lab**2).sum(axis=1)[None, :]
    for start in range(0, len(lab), _CHUNK):
        block = lab[start : start + _CHUNK]
        dist = (block**2).sum(axis=1)[:, None] - 2.0 * block @ palette_lab.T + p2
        out[start : start + _CHUNK] = dist.argmin(axis=1)
    return out


def soft_target(lab: np.ndarray, palette_lab: np.ndarray, *, spread: float) -> np.ndarray:
    """The palette's a*b* for each pixel of ``lab`` (N×3), as a blend of the nearest colours.

    Weights fall off as ``exp(-(d - d_nearest) / spread)`` with the ΔE distance ``d``,
    so where two palette colours are about equally near the tint blends them instead of
    jumping from one to the other.
    """
    out = np.empty((len(lab), 2), dtype=np.float32)
    p2 = (palette_lab**2).sum(axis=1)[None, :]
    for start in range(0, len(lab), _CHUNK):
        block = lab[start : start + _CHUNK]
        d2 = np.maximum((block**2).sum(axis=1)[:, None] - 2.0 * block @ palette_lab.T + p2, 0)
        d = np.sqrt(d2)
        w = np.exp(-(d - d.min(axis=1, keepdims=True)) / spread)
        w /= w.sum(axis=1, keepdims=True)
        out[start : start + _CHUNK] = w @ palette_lab[:, 1:]
    return out


def apply_palette(
    img: Image.Image,
    colours,
    *,
    mode: str = "map",
    dither: bool = False,
    strength: float = 1.0,
) -> Image.Image:
    """Return ``img`` recoloured to ``colours`` (see the module docstring for the modes)."""
    if mode not in APPLY_MODES:
        raise InvalidInput(f"Apply mode must be one of: {', '.join(APPLY_MODES)}.")
    if not 0 <= strength <= 1:
        raise InvalidInput("Strength must be between 0 and 1.")
    palette = parse_colours(colours)
    rgb, alpha = arrays.split_rgb_alpha(normalise_mode(img))
    h, w = rgb.shape[:2]
    palette_lab = _lab(palette[None])[0]
    if mode == "map" and dither:
        pal_img = Image.new("P", (1, 1))
        flat = palette.reshape(-1).tolist()
        pal_img.putpalette(flat + flat[:3] * (256 - len(palette)))
        out = np.asarray(
            Image.fromarray(rgb)
            .quantize(palette=pal_img, dither=Image.Dither.FLOYDSTEINBERG)
            .convert("RGB")
        ).copy()
    elif mode == "map":
        index = nearest(_lab(rgb).reshape(-1, 3), palette_lab)
        out = palette[index].reshape(h, w, 3)
    else:
        lab = _lab(rgb)
        flat = lab.reshape(-1, 3)
        tinted = flat.copy()
        # The palette's hue and chroma, the pixel's own lightness.
        tinted[:, 1:] = soft_target(flat, palette_lab, spread=TINT_SPREAD)
        tinted = tinted.reshape(h, w, 3)
        out = np.clip(cv2.cvtColor(tinted, cv2.COLOR_LAB2RGB) * 255.0 + 0.5, 0, 255)
        out = out.astype(np.uint8)
    if strength < 1:
        out = arrays.blend(out, rgb, np.full((h, w), strength, dtype=np.float32))
    return arrays.join_rgb_alpha(np.ascontiguousarray(out), alpha)


# ----------------------------------------------------------------------------- exports


def _names(colours, names) -> list[str]:
    if names is None:
        return [f"Colour {i + 1}" for i in range(len(colours))]
    if len(names) != len(colours):
        raise InvalidInput("Give one name per colour.")
    return [str(n) for n in names]


def to_gpl(colours, *, name: str = "Image Studio palette", names=None) -> str:
    """GIMP / Inkscape / Krita palette text (``.gpl``)."""
    palette = parse_colours(colours)
    safe = re.sub(r"[\r\n]+", " ", name).strip() or "Palette"
    lines = ["GIMP Palette", f"Name: {safe}", "Columns: 0", "#"]
    for (r, g, b), label in zip(palette.tolist(), _names(palette, names), strict=True):
        label = re.sub(r"[\r\n]+", " ", label)
        lines.append(f"{r:3d} {g:3d} {b:3d}\t{label}")
    return "\n".join(lines) + "\n"


def to_css(colours, *, prefix: str = "palette") -> str:
    """CSS custom properties on ``:root``: ``--{prefix}-1: #rrggbb;`` …"""
    palette = parse_colours(colours)
    prefix = re.sub(r"[^a-zA-Z0-9_-]+", "-", prefix).strip("-") or "palette"
    body = "\n".join(
        f"  --{prefix}-{i + 1}: #{r:02x}{g:02x}{b:02x};"
        for i, (r, g, b) in enumerate(palette.tolist())
    )
    return f":root {{\n{body}\n}}\n"


def _ase_name(text: str) -> bytes:
    encoded = (text + "\0").encode("utf-16-be")
    return struct.pack(">H", len(encoded) // 2) + encoded


def to_ase(colours, *, name: str = "Image Studio palette", names=None) -> bytes:
    """Adobe Swatch Exchange (``.ase``) bytes: one group of RGB colours."""
    palette = parse_colours(colours)
    blocks = []
    group = _ase_name(name)
    blocks.append(struct.pack(">HI", 0xC001, len(group)) + group)
    for (r, g, b), label in zip(palette.tolist(), _names(palette, names), strict=True):
        body = (
            _ase_name(label)
            + b"RGB "
            + struct.pack(">fff", r / 255.0, g / 255.0, b / 255.0)
            + struct.pack(">H", 2)  # "normal" (process) colour
        )
        blocks.append(struct.pack(">HI", 0x0001, len(body)) + body)
    blocks.append(struct.pack(">HI", 0xC002, 0))
    return b"ASEF" + struct.pack(">HHI", 1, 0, len(blocks)) + b"".join(blocks)
