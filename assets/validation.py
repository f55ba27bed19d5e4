"""Decide by content, not by name, whether an uploaded file is an image we accept."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

from media import format_for

from .imaging import THUMBNAIL_SIZE

# Pillow format → (MIME type, extension), from the shared format table. Phones save
# multi-picture JPEGs, which Pillow names MPO: the first picture is a JPEG.
ACCEPTED_FORMATS = {
    name: (format_for(name).content_type, f".{format_for(name).extension}")
    for name in ("PNG", "JPEG", "WEBP", "MPO")
}


@dataclass
class ImageInfo:
    format: str
    content_type: str
    extension: str
    width: int
    height: int
    has_alpha: bool
    # Decoded, for thumbnails and analysis; a large JPEG at a reduced scale (``width`` and
    # ``height`` are always the file's own).
    image: Image.Image


def inspect_image(fh: BinaryIO, *, size: int | None = None) -> ImageInfo:
    """Validate an upload and return what it is, decoded.

    Raises ``ValidationError`` with a message for the user when the file is too large,
    not a PNG/JPEG/WebP (whatever its name says), has more pixels than allowed (checked
    from the header, before decoding, so a decompression bomb never expands), or is
    truncated or corrupt.
    """
    max_bytes = settings.UPLOAD_MAX_BYTES
    max_pixels = settings.UPLOAD_MAX_PIXELS
    if size is None:
        fh.seek(0, 2)
        size = fh.tell()
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > max_bytes:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}.",
            code="too_large",
        )
    fh.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(fh)
            fmt = probe.format
            width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            f"The image has too many pixels; the limit is {max_pixels / 1e6:.0f} megapixels.",
            code="too_many_pixels",
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            "This file is not an image we can read. Upload a PNG, JPEG or WebP file.",
            code="not_an_image",
        ) from None
    if fmt not in ACCEPTED_FORMATS:
        raise ValidationError(
            f"{fmt or 'This'} files are not supported. Upload a PNG, JPEG or WebP file.",
            code="unsupported_type",
        )
    if width * height > max_pixels:
        raise ValidationError(
            f"The image is {width}×{height} ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels.",
            code="too_many_pixels",
        )
    if fmt in ("JPEG", "MPO"):
        # Decode at the smallest DCT scale that still covers twice the thumbnail (a 12 MP
        # photo decodes at 1/4 size, several times faster). Every byte of the entropy-coded
        # data is still read, so truncated and corrupt files fail just the same.
        longest = max(width, height)
        box = 2 * THUMBNAIL_SIZE
        probe.draft(None, (max(1, width * box // longest), max(1, height * box // longest)))
    try:
        probe.load()  # decodes everything: catches truncated and corrupt data
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            "The image is damaged or incomplete. Try exporting it again.", code="corrupt"
        ) from None
    content_type, ext = ACCEPTED_FORMATS[fmt]
    has_alpha = probe.mode in ("RGBA", "LA", "PA") or (
        probe.mode == "P" and "transparency" in probe.info
    )
    return ImageInfo(
        format=fmt,
        content_type=content_type,
        extension=ext,
        width=width,
        height=height,
        has_alpha=has_alpha,
        image=probe,
    )
