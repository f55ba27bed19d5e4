"""Test images made in memory with Pillow."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), color=(200, 40, 40), mode: str = "RGB"
) -> bytes:
    img = Image.new(mode, size, color if mode != "RGBA" else (*color[:3], 255))
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle(
        (w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(20, 90, 200) if mode != "L" else 128
    )
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def open_bytes(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def read_field(field) -> bytes:
    """Read a FileField's bytes and close the file again."""
    with field.open("rb") as fh:
        return fh.read()
