"""Thumbnails and hashing for stored files."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from PIL import Image, ImageOps

THUMBNAIL_SIZE = 480


def sha256_of(fh: BinaryIO) -> str:
    fh.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1024 * 1024), b""):
        digest.update(chunk)
    fh.seek(0)
    return digest.hexdigest()


def make_thumbnail(img: Image.Image, *, size: int = THUMBNAIL_SIZE) -> tuple[bytes, int, int]:
    """Return WebP bytes of ``img`` fitted into ``size``², and the thumbnail's size.

    ``img`` is left untouched (the thumbnail is made from an upright copy).
    """
    thumb = ImageOps.exif_transpose(img)
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if thumb.mode not in ("RGB", "RGBA"):
        has_alpha = thumb.mode in ("LA", "PA") or "transparency" in thumb.info
        thumb = thumb.convert("RGBA" if has_alpha else "RGB")
    buf = io.BytesIO()
    thumb.save(buf, "WEBP", quality=80, method=4)
    return buf.getvalue(), thumb.width, thumb.height
