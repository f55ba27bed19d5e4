"""Decoding and encoding helpers shared by local-engine operations."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from ..base import InvalidInput

FORMAT_CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
FORMAT_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


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


def open_image(data: bytes) -> Image.Image:
    """Decode ``data`` (already validated at upload) into an upright, loaded image.

    Raises :class:`InvalidInput` when the bytes are not a readable image. Pillow's
    decompression-bomb guard stays active (``Image.MAX_IMAGE_PIXELS``).
    """
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Image.DecompressionBombError as exc:
        raise InvalidInput("The image has too many pixels to process.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("The input file is not a readable image.") from exc
    source_format = img.format
    img = normalise_mode(ImageOps.exif_transpose(img))
    img.info.setdefault("source_format", source_format or "PNG")
    return img


def has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


def encode(
    img: Image.Image,
    fmt: str,
    *,
    quality: int = 90,
    keep_metadata: bool = True,
    source: Image.Image | None = None,
) -> bytes:
    """Encode ``img`` as ``fmt`` (PNG, JPEG or WEBP) and return the bytes.

    With ``keep_metadata`` the ICC profile and EXIF of ``source`` (or ``img``) are carried
    over; without it the file has no EXIF, XMP or ICC data.
    """
    fmt = fmt.upper()
    if fmt == "JPG":
        fmt = "JPEG"
    if fmt not in FORMAT_CONTENT_TYPES:
        raise InvalidInput(f"Unsupported output format: {fmt.lower()}.")
    info = (source or img).info
    out = img
    if fmt == "JPEG":
        if has_alpha(out):
            # JPEG has no alpha: flatten onto white rather than black.
            rgba = out.convert("RGBA")
            bg = Image.new("RGB", rgba.size, (255, 255, 255))
            bg.paste(rgba, mask=rgba.getchannel("A"))
            out = bg
        elif out.mode != "RGB":
            out = out.convert("RGB")
    elif out.mode not in ("RGB", "RGBA", "L", "LA") and fmt == "WEBP":
        out = out.convert("RGBA" if has_alpha(out) else "RGB")
    elif out.mode in ("CMYK", "YCbCr", "I;16", "I", "F"):
        out = out.convert("RGB")
    kwargs: dict = {}
    if fmt == "JPEG":
        kwargs.update(quality=quality, optimize=True)
    elif fmt == "WEBP":
        kwargs.update(quality=quality, method=4)
    elif fmt == "PNG":
        kwargs.update(optimize=False, compress_level=6)
    if keep_metadata:
        if info.get("icc_profile"):
            kwargs["icc_profile"] = info["icc_profile"]
        exif = (source or img).getexif() if fmt in ("JPEG", "WEBP", "PNG") else None
        if exif:
            # Orientation was applied on decode; don't let viewers rotate twice.
            exif.pop(0x0112, None)
            kwargs["exif"] = exif.tobytes()
    buf = io.BytesIO()
    out.save(buf, fmt, **kwargs)
    return buf.getvalue()


def output_format_for(img: Image.Image, requested: str = "") -> str:
    """Pick PNG/JPEG/WEBP: the requested one, else the source's, keeping alpha lossless."""
    if requested:
        return requested.upper().replace("JPG", "JPEG")
    src = str(img.info.get("source_format", "PNG")).upper()
    if src not in FORMAT_CONTENT_TYPES:
        src = "PNG"
    if src == "JPEG" and has_alpha(img):
        return "PNG"
    return src
