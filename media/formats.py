"""The image formats the studio reads and writes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFormat:
    key: str  # our name, as in forms and params: "png", "jpeg", "webp"
    pil: str  # Pillow's format name
    content_type: str
    extension: str  # without the dot
    label: str
    alpha: bool  # can hold transparency
    lossy: bool  # takes a quality setting


FORMATS: dict[str, ImageFormat] = {
    f.key: f
    for f in (
        ImageFormat("png", "PNG", "image/png", "png", "PNG", alpha=True, lossy=False),
        ImageFormat("jpeg", "JPEG", "image/jpeg", "jpg", "JPEG", alpha=False, lossy=True),
        ImageFormat("webp", "WEBP", "image/webp", "webp", "WebP", alpha=True, lossy=True),
    )
}
_ALIASES = {"jpg": "jpeg", "mpo": "jpeg"}  # MPO: a phone's multi-picture JPEG


def format_for(name: str) -> ImageFormat:
    """The format called ``name`` (ours or Pillow's, any case: "jpg", "JPEG", "webp").

    Raises ``KeyError`` for a format we do not write.
    """
    key = name.strip().lower()
    return FORMATS[_ALIASES.get(key, key)]


def format_for_content_type(content_type: str) -> ImageFormat | None:
    """The format of a MIME type ("image/png; …"), or None when it is not one of ours."""
    wanted = content_type.split(";", 1)[0].strip().lower()
    return next((f for f in FORMATS.values() if f.content_type == wanted), None)
