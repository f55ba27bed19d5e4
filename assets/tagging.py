"""Automatic tags computed locally from what an asset already knows about itself.

Nothing here calls a provider: colours come from a small palette (computed from the
thumbnail-sized image when the asset has none), the rest from dimensions, kind, module
and the alpha channel.
"""

from __future__ import annotations

import colorsys
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from providers.local.imaging import normalise_mode

from .imaging import fitted_size

if TYPE_CHECKING:
    from .models import Asset

# Tags a user can always tell apart at a glance; hue boundaries in degrees.
_HUES = [
    (15, "red"),
    (40, "orange"),
    (65, "yellow"),
    (160, "green"),
    (200, "teal"),
    (255, "blue"),
    (290, "purple"),
    (335, "pink"),
    (360, "red"),
]


def colour_name(hex_value: str) -> str:
    """Name an ``#rrggbb`` colour with one everyday word (``"teal"``, ``"grey"``, …)."""
    value = hex_value.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if v < 0.18:
        return "black"
    if s < 0.12:
        if v > 0.88:
            return "white"
        return "grey"
    degrees = h * 360
    if 15 <= degrees < 45 and v < 0.65:
        return "brown"
    for limit, name in _HUES:
        if degrees < limit:
            return name
    return "red"


def quick_palette(img: Image.Image, *, count: int = 5) -> list[dict]:
    """Return up to ``count`` colours of ``img`` as ``[{"hex", "rgb", "share"}]``, largest first.

    Works on a 64 px copy with Pillow's fast octree quantiser: a few milliseconds, good
    enough for naming colours. Fully transparent pixels are left out; partly transparent
    ones count (a 39 %-opaque logo still has colours), and 16-bit images are read at
    their full range.
    """
    small = normalise_mode(img)
    # What ``thumbnail((64, 64))`` makes, without a full-size copy to shrink in place.
    fitted = fitted_size(small.width, small.height, (64, 64))
    if fitted != small.size:
        small = small.resize(fitted, Image.Resampling.BILINEAR, reducing_gap=2.0)
    pixels = np.asarray(small.convert("RGBA"), dtype=np.uint8).reshape(-1, 4)
    opaque = pixels[pixels[:, 3] >= 8][:, :3]
    if len(opaque) == 0:
        return []
    flat = Image.fromarray(np.ascontiguousarray(opaque.reshape(1, -1, 3)), "RGB")
    quantised = flat.quantize(colors=count, method=Image.Quantize.FASTOCTREE)
    colours = quantised.getcolors() or []
    lut = quantised.getpalette() or []
    total = sum(n for n, _ in colours) or 1
    result = []
    for n, index in sorted(colours, reverse=True)[:count]:
        rgb = lut[index * 3 : index * 3 + 3]
        result.append(
            {"hex": "#{:02x}{:02x}{:02x}".format(*rgb), "rgb": rgb, "share": round(n / total, 4)}
        )
    return result


def has_transparent_background(img: Image.Image) -> bool:
    """True when the image has alpha and its corners are (nearly) see-through."""
    if img.mode not in ("RGBA", "LA", "PA") and not (
        img.mode == "P" and "transparency" in img.info
    ):
        return False
    alpha = img.convert("RGBA").getchannel("A")
    w, h = alpha.size
    corners = [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)]
    return sum(alpha.getpixel(xy) < 32 for xy in corners) >= 3


def orientation(width: int | None, height: int | None) -> str | None:
    if not width or not height:
        return None
    ratio = width / height
    if ratio > 1.05:
        return "landscape"
    if ratio < 0.95:
        return "portrait"
    return "square"


def size_class(width: int | None, height: int | None) -> str | None:
    if not width or not height:
        return None
    longest = max(width, height)
    if longest >= 3840:
        return "4k"
    if longest >= 2048:
        return "large"
    if longest >= 768:
        return "medium"
    return "small"


def auto_tags(asset: Asset, *, img: Image.Image | None = None) -> list[str]:
    """The automatic tag names for ``asset`` (``img`` is its decoded image, when at hand)."""
    names = [asset.kind]
    if asset.source_module:
        names.append(asset.source_module)
    for tag in (orientation(asset.width, asset.height), size_class(asset.width, asset.height)):
        if tag:
            names.append(tag)
    seen_colours = []
    for colour in asset.palette or []:
        hex_value = colour.get("hex") if isinstance(colour, dict) else None
        share = colour.get("share", 1) if isinstance(colour, dict) else 0
        if not hex_value or (share or 0) < 0.12:
            continue
        name = colour_name(hex_value)
        if name not in seen_colours:
            seen_colours.append(name)
        if len(seen_colours) == 3:
            break
    names += seen_colours
    transparent = (
        has_transparent_background(img) if img is not None else asset.metadata.get("transparent")
    )
    if transparent:
        names.append("transparent")
    return list(dict.fromkeys(names))
