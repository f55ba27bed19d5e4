"""Bytes in and out of providers: content types, image sizes, base64, input limits."""

from __future__ import annotations

import base64
import binascii
import io
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from media import FORMATS

from ..base import InvalidInput, ProviderError, ProviderOutput

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "model/gltf-binary": "glb",
    "model/gltf+json": "gltf",
    "model/obj": "obj",
    "model/vnd.usdz+zip": "usdz",
    "application/zip": "zip",
    "application/json": "json",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
}
_FORMAT_TYPES = {f.pil: f.content_type for f in FORMATS.values()} | {"GIF": "image/gif"}


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "bin")


def sniff_content_type(data: bytes) -> str:
    """Best guess of a file's type from its first bytes."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"glTF"):
        return "model/gltf-binary"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    return "application/octet-stream"


def image_size(data: bytes) -> tuple[int, int, str]:
    """``(width, height, content_type)`` of an encoded image, read from its header only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                return img.width, img.height, _FORMAT_TYPES.get(img.format or "", "image/png")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidInput("The image is too large to process.") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidInput("The file is not a readable image.") from exc


def finish_output(out: ProviderOutput) -> ProviderOutput:
    """Fill in ``width``/``height``/``extension`` of an output from its bytes when possible."""
    ctype = out.content_type.split(";")[0].strip().lower()
    if ctype in ("", "application/octet-stream", "binary/octet-stream"):
        head = out.open().read(16) if out.file is not None else (out.data or b"")[:16]
        ctype = sniff_content_type(head)
        out.content_type = ctype
    if ctype.startswith("image/") and (out.width is None or out.height is None):
        data = out.data if out.data is not None else out.open().read()
        try:
            w, h, real_type = image_size(data)
        except InvalidInput:
            pass
        else:
            out.width, out.height = w, h
            out.content_type = real_type
        if out.file is not None:
            out.file.seek(0)
    if not out.extension:
        out.extension = extension_for(out.content_type)
    return out


def image_output(
    data: bytes,
    *,
    content_type: str = "",
    seed: int | None = None,
    meta: dict[str, Any] | None = None,
) -> ProviderOutput:
    """An in-memory output for image bytes, with its real size and type."""
    out = ProviderOutput(
        content_type=content_type or sniff_content_type(data),
        data=data,
        seed=seed,
        meta=dict(meta or {}),
    )
    return finish_output(out)


def b64decode(value: str, *, label: str) -> bytes:
    """Decode base64 (plain or a ``data:`` URI) or raise a ProviderError naming ``label``."""
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(f"{label} returned undecodable image data.") from exc


def data_uri(data: bytes, content_type: str = "") -> str:
    ctype = content_type or sniff_content_type(data)
    return f"data:{ctype};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class InputLimits:
    """What a model accepts as an input image (checked locally, before any upload)."""

    min_side: int | None = None
    max_side: int | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    max_aspect: float | None = None  # e.g. 2.5 for "between 1:2.5 and 2.5:1"
    max_bytes: int | None = None


def check_input_image(
    data: bytes, limits: InputLimits, *, label: str = "The input image"
) -> tuple[int, int]:
    """Return ``(width, height)`` of ``data`` or raise InvalidInput explaining the limit broken."""
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise InvalidInput(f"{label} is larger than {limits.max_bytes // (1024 * 1024)} MB.")
    w, h, _ = image_size(data)
    if limits.min_side and min(w, h) < limits.min_side:
        raise InvalidInput(f"{label} must be at least {limits.min_side} px on each side ({w}×{h}).")
    if limits.max_side and max(w, h) > limits.max_side:
        raise InvalidInput(f"{label} must be at most {limits.max_side} px on each side ({w}×{h}).")
    if limits.min_pixels and w * h < limits.min_pixels:
        raise InvalidInput(f"{label} must have at least {limits.min_pixels:,} pixels ({w}×{h}).")
    if limits.max_pixels and w * h > limits.max_pixels:
        raise InvalidInput(f"{label} must have at most {limits.max_pixels:,} pixels ({w}×{h}).")
    if limits.max_aspect and max(w, h) / min(w, h) > limits.max_aspect:
        raise InvalidInput(
            f"{label} is too elongated ({w}×{h}); the ratio must stay within "
            f"1:{limits.max_aspect:g} and {limits.max_aspect:g}:1."
        )
    return w, h


def nearest_aspect_ratio(width: int, height: int, choices: Iterable[str]) -> str:
    """The ratio in ``choices`` (like ``"16:9"``) closest to ``width``×``height``."""

    def value(ratio: str) -> float:
        a, b = ratio.split(":")
        return float(a) / float(b)

    target = math.log(width / height)
    return min(choices, key=lambda r: abs(math.log(value(r)) - target))
