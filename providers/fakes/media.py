"""Deterministic files the fakes answer with: real images, tiny MP4 and GLB containers."""

from __future__ import annotations

import io
import json
import struct
import zlib

from PIL import Image, ImageDraw

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "webp": "image/webp",
}


def make_image(
    width: int, height: int, fmt: str = "png", *, seed: int = 0, transparent: bool = False
) -> bytes:
    """An encoded ``width``×``height`` image whose colours depend on ``seed``."""
    fmt = fmt.lower()
    mode = "RGBA" if transparent and fmt in ("png", "webp") else "RGB"
    hue = zlib.crc32(str(seed).encode()) & 0xFFFFFF
    base = ((hue >> 16) & 0xFF, (hue >> 8) & 0xFF, hue & 0xFF)
    img = Image.new(mode, (width, height), base + ((0,) if mode == "RGBA" else ()))
    draw = ImageDraw.Draw(img)
    accent = tuple(255 - c for c in base) + ((255,) if mode == "RGBA" else ())
    draw.rectangle((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=accent)
    buf = io.BytesIO()
    img.save(buf, format=PIL_FORMATS[fmt])
    return buf.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def image_info(data: bytes) -> tuple[int, int, str, str]:
    """``(width, height, format, mode)`` of an encoded image."""
    with Image.open(io.BytesIO(data)) as img:
        return img.width, img.height, (img.format or "").lower(), img.mode


def make_mp4(size: int = 64 * 1024) -> bytes:
    """An MP4-shaped file (``ftyp`` + ``mdat`` boxes) of exactly ``size`` bytes."""
    ftyp = b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    ftyp = struct.pack(">I", len(ftyp) + 4) + ftyp
    payload_len = max(0, size - len(ftyp) - 8)
    payload = bytes((i * 31) & 0xFF for i in range(min(payload_len, 4096)))
    payload = (payload * (payload_len // max(1, len(payload)) + 1))[:payload_len]
    return ftyp + struct.pack(">I", payload_len + 8) + b"mdat" + payload


def make_glb(size: int = 16 * 1024) -> bytes:
    """A structurally valid binary glTF 2.0 file padded to about ``size`` bytes."""
    doc = json.dumps(
        {"asset": {"version": "2.0", "generator": "fake"}, "buffers": [{"byteLength": 0}]}
    )
    json_chunk = doc.encode()
    json_chunk += b" " * (-len(json_chunk) % 4)
    bin_len = max(4, size - 12 - 8 - len(json_chunk) - 8)
    bin_len += -bin_len % 4
    doc = json.dumps(
        {"asset": {"version": "2.0", "generator": "fake"}, "buffers": [{"byteLength": bin_len}]}
    )
    json_chunk = doc.encode()
    json_chunk += b" " * (-len(json_chunk) % 4)
    bin_chunk = bytes(i & 0xFF for i in range(bin_len))
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return (
        b"glTF"
        + struct.pack("<II", 2, total)
        + struct.pack("<I", len(json_chunk))
        + b"JSON"
        + json_chunk
        + struct.pack("<I", len(bin_chunk))
        + b"BIN\x00"
        + bin_chunk
    )


def size_for_ratio(ratio: str, pixels: int = 1024 * 1024, multiple: int = 64) -> tuple[int, int]:
    """A ``width``×``height`` of about ``pixels`` with the aspect ``ratio`` ("16:9")."""
    a, b = (float(x) for x in ratio.split(":"))
    height = (pixels * b / a) ** 0.5
    width = height * a / b
    return (
        max(multiple, int(round(width / multiple)) * multiple),
        max(multiple, int(round(height / multiple)) * multiple),
    )
