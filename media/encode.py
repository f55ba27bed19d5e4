"""One encoder for every file the studio writes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from .formats import format_for

# Modes PNG keeps as they are; anything else (CMYK, YCbCr, 32-bit) becomes RGB(A).
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")


def has_alpha(img: Image.Image) -> bool:
    """Whether ``img`` can carry transparency (an alpha band or a transparent palette)."""
    return img.mode in ("RGBA", "LA", "PA") or (
        img.mode in ("P", "L", "RGB") and "transparency" in img.info
    )


def flatten_alpha(img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)):
    """``img`` without transparency, composited onto ``background`` (white by default)."""
    rgba = img.convert("RGBA")
    flat = Image.new("RGB", rgba.size, background)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


_HIGH_DEPTH = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def normalise_mode(img: Image.Image) -> Image.Image:
    """Return ``img`` in a mode every operation handles (8-bit L, LA, P, PA, RGB, RGBA).

    16-bit and 32-bit greyscale (a 16-bit PNG opens as ``I;16``) is scaled to 8 bits;
    Pillow's own conversion would clip every level above 255 to white. CMYK, YCbCr
    and other colour spaces become RGB. The image's ``info`` is kept.
    """
    if img.mode in ("1", "L", "LA", "P", "PA", "RGB", "RGBA"):
        return img
    if img.mode in _HIGH_DEPTH:
        arr = np.asarray(img, dtype=np.float64)
        if img.mode == "F":
            peak = float(arr.max()) if arr.size else 0.0
            scale = 255.0 if peak <= 1.0 else 255.0 / max(peak, 1.0)
        elif img.mode.startswith("I;16"):
            scale = 255.0 / 65535.0
        else:  # 32-bit integers: 16-bit data in practice, 8-bit when it fits
            peak = float(arr.max()) if arr.size else 0.0
            scale = 1.0 if peak <= 255 else 255.0 / (65535.0 if peak <= 65535 else peak)
        out = Image.fromarray(np.clip(arr * scale + 0.5, 0, 255).astype(np.uint8), "L")
    else:
        out = img.convert("RGBA" if has_alpha(img) else "RGB")
    out.info.update(img.info)
    return out


def _for_format(img: Image.Image, pil: str) -> Image.Image:
    """``img`` in a mode ``pil`` can store, keeping transparency where the format can."""
    if pil != "PNG" or img.mode not in _PNG_MODES:
        img = normalise_mode(img)  # PNG keeps 16-bit greyscale as it is
    if pil == "JPEG":
        if has_alpha(img):
            # JPEG has no alpha: flatten onto white rather than black.
            return flatten_alpha(img)
        return img if img.mode in ("RGB", "L") else img.convert("RGB")
    if pil == "WEBP":
        if img.mode in ("RGB", "RGBA"):
            return img
        return img.convert("RGBA" if has_alpha(img) else "RGB")
    if img.mode in _PNG_MODES:
        return img
    return img.convert("RGBA" if has_alpha(img) else "RGB")


def encode(
    img: Image.Image,
    fmt: str,
    *,
    quality: int = 90,
    keep_metadata: bool = False,
    source: Image.Image | None = None,
    upright: bool = True,
    optimize: bool = False,
    **extra: Any,
) -> bytes:
    """Encode ``img`` as ``fmt`` ("png", "jpeg"/"jpg", "webp", any case) and return bytes.

    With ``keep_metadata`` the ICC profile and EXIF of ``source`` (or ``img``) are carried
    over — without the EXIF orientation when the pixels are already ``upright`` (turned on
    decode), so viewers do not turn them twice. Without it the file holds no EXIF, XMP, ICC
    or text chunks. ``extra`` goes to Pillow's writer (e.g. ``xmp=`` for a recipe).
    Raises ``KeyError`` for a format we do not write.
    """
    target = format_for(fmt)
    out = _for_format(img, target.pil)
    options: dict[str, Any] = {}
    if target.pil == "JPEG":
        options.update(quality=max(1, min(100, quality)), optimize=optimize)
    elif target.pil == "WEBP":
        options.update(quality=max(1, min(100, quality)), method=4)
    else:
        options.update(compress_level=6)
    if keep_metadata:
        info = (source or img).info
        if info.get("icc_profile"):
            options["icc_profile"] = info["icc_profile"]
        exif = (source or img).getexif()
        if exif:
            if upright:
                exif.pop(0x0112, None)
            options["exif"] = exif.tobytes()
    options.update(extra)
    # Pillow also writes some of ``info`` (XMP, PNG text) by itself: hide it unless kept.
    saved_info = out.info
    if not keep_metadata:
        out.info = {k: v for k, v in saved_info.items() if k == "transparency"}
    try:
        buf = io.BytesIO()
        out.save(buf, target.pil, **options)
    finally:
        out.info = saved_info
    return buf.getvalue()
