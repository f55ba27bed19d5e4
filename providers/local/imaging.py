"""Decoding and encoding helpers shared by local-engine operations."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

import media

from ..base import InvalidInput

# Pillow format name → MIME type and extension, from the shared format table.
FORMAT_CONTENT_TYPES = {f.pil: f.content_type for f in media.FORMATS.values()}
FORMAT_EXTENSIONS = {f.pil: f.extension for f in media.FORMATS.values()}
has_alpha = media.has_alpha


normalise_mode = media.normalise_mode


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


def encode(
    img: Image.Image,
    fmt: str,
    *,
    quality: int = 90,
    keep_metadata: bool = True,
    source: Image.Image | None = None,
) -> bytes:
    """Encode an engine result as ``fmt`` (PNG, JPEG or WEBP) through the shared encoder.

    The engine's images were turned upright on decode, so a kept EXIF loses its
    orientation. Raises :class:`InvalidInput` for a format we do not write.
    """
    try:
        return media.encode(
            img, fmt, quality=quality, keep_metadata=keep_metadata, source=source, optimize=True
        )
    except KeyError:
        raise InvalidInput(f"Unsupported output format: {fmt.lower()}.") from None


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
