"""Video, audio and 3D files as library items: what they are and a picture of them.

Everything here runs offline with PyAV (FFmpeg's libraries, shipped inside the ``av``
wheel from PyPI — no system ffmpeg is needed): a video's poster is a frame from its first
second, an audio file's thumbnail is its waveform, and a GLB model's thumbnail is a flat-shaded
render of its triangles drawn with Pillow. A file that can't be read still gets a labelled
card, never an error, so a result is never lost over its thumbnail.
"""

from __future__ import annotations

import json
import logging
import math
import mimetypes
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, ImageDraw

logger = logging.getLogger(__name__)

THUMB = (512, 512)
BACKGROUND = (30, 34, 42)
ACCENT = (108, 160, 255)

# Extensions for the content types media outputs and uploads carry.
EXTENSIONS = {
    "video/mp4": "mp4",
    "video/webm": "webm",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/mp4": "m4a",
    "audio/flac": "flac",
    "model/gltf-binary": "glb",
}


# The standard library's table lacks some of these; storage backends (S3's Content-Type)
# and the static files server read it.
for _type, _ext in EXTENSIONS.items():
    if mimetypes.guess_type(f"x.{_ext}")[0] is None or _ext == "glb":
        mimetypes.add_type(_type, f".{_ext}")


@dataclass
class MediaInfo:
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    thumbnail: Image.Image | None = None
    metadata: dict = field(default_factory=dict)


def _card(label: str, detail: str = "") -> Image.Image:
    """A plain labelled card for a file whose picture can't be made."""
    img = Image.new("RGB", THUMB, BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((96, 176, 416, 336), radius=24, outline=ACCENT, width=6)
    draw.text((256, 240), label, fill=(235, 238, 245), anchor="mm")
    if detail:
        draw.text((256, 280), detail, fill=(170, 178, 195), anchor="mm")
    return img


def _duration_label(seconds: float | None) -> str:
    if not seconds:
        return ""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


# --------------------------------------------------------------------------- video


def describe_video(fh: BinaryIO) -> MediaInfo:
    """Size, duration and a poster frame (from about 0.5 s in) of a video file."""
    import av

    fh.seek(0)
    try:
        with av.open(fh, mode="r") as container:
            stream = next(s for s in container.streams if s.type == "video")
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            poster = None
            wanted = min(0.5, (duration or 0) / 2)
            for frame in container.decode(stream):
                poster = frame
                if frame.time is None or frame.time >= wanted:
                    break
            if poster is None:
                raise ValueError("no frame")
            image = poster.to_image().convert("RGB")
            return MediaInfo(
                width=stream.codec_context.width or image.width,
                height=stream.codec_context.height or image.height,
                duration=duration,
                thumbnail=image,
                metadata={
                    "codec": stream.codec_context.name,
                    "poster_at": round(poster.time or 0, 3),
                },
            )
    except Exception:  # noqa: BLE001 - any unreadable video still gets a card
        logger.info("no poster frame for a video", exc_info=True)
        return MediaInfo(thumbnail=_card("Video"), metadata={"poster": "unreadable"})
    finally:
        fh.seek(0)


# --------------------------------------------------------------------------- audio


@dataclass
class AudioScan:
    duration: float
    peak: float  # 0..1 of full scale
    rms: float
    sample_rate: int
    channels: int
    codec: str
    format: str
    envelope: list[float]  # peak per slice, for the waveform


def scan_audio(fh: BinaryIO, *, slices: int = 256, max_seconds: float | None = None) -> AudioScan:
    """Decode an audio file completely: its real duration, loudness and envelope.

    Raises ``ValueError`` when the file has no audio stream or can't be decoded, and stops
    decoding once ``max_seconds`` is passed (the caller refuses it as too long).
    """
    import av
    import numpy as np

    fh.seek(0)
    try:
        container = av.open(fh, mode="r")
    except av.FFmpegError as exc:
        raise ValueError("unreadable") from exc
    with container:
        audio = [s for s in container.streams if s.type == "audio"]
        if not audio or any(s.type == "video" for s in container.streams):
            raise ValueError("not audio only")
        stream = audio[0]
        rate = stream.codec_context.sample_rate or stream.rate or 0
        peaks: list[float] = []
        sum_sq = 0.0
        samples = 0
        try:
            for frame in container.decode(stream):
                data = frame.to_ndarray().astype(np.float32)
                name = frame.format.name
                if name.startswith("s16"):
                    data /= 32768.0
                elif name.startswith("s32"):
                    data /= 2147483648.0
                elif name.startswith("u8"):
                    data = (data - 128.0) / 128.0
                n = frame.samples
                samples += n
                if data.size:
                    sum_sq += float(np.square(data).mean()) * n
                    peaks.append(float(np.abs(data).max()))
                if max_seconds is not None and rate and samples / rate > max_seconds + 1:
                    break
        except av.FFmpegError as exc:
            raise ValueError("undecodable") from exc
        if not rate or not samples:
            raise ValueError("no samples")
        duration = samples / rate
        envelope = _resample(peaks, slices)
        return AudioScan(
            duration=duration,
            peak=max(peaks) if peaks else 0.0,
            rms=math.sqrt(sum_sq / samples),
            sample_rate=rate,
            channels=stream.codec_context.channels or 1,
            codec=stream.codec_context.name,
            format=container.format.name,
            envelope=envelope,
        )


def _resample(values: list[float], n: int) -> list[float]:
    if not values:
        return [0.0] * n
    out = []
    for i in range(n):
        lo = int(i * len(values) / n)
        hi = max(lo + 1, int((i + 1) * len(values) / n))
        out.append(max(values[lo:hi]))
    return out


def waveform(envelope: list[float], duration: float | None = None) -> Image.Image:
    img = Image.new("RGB", THUMB, BACKGROUND)
    draw = ImageDraw.Draw(img)
    w, h = THUMB
    mid = h // 2
    top = max(envelope) or 1.0
    step = w / len(envelope)
    for i, value in enumerate(envelope):
        amp = int((value / top) * (h * 0.38))
        x = int(i * step)
        draw.line((x, mid - amp, x, mid + amp), fill=ACCENT, width=max(1, int(step) - 1))
    label = _duration_label(duration)
    if label:
        draw.text((w - 16, h - 16), label, fill=(235, 238, 245), anchor="rd")
    return img


def describe_audio(fh: BinaryIO) -> MediaInfo:
    try:
        scan = scan_audio(fh)
    except Exception:  # noqa: BLE001
        logger.info("no waveform for an audio file", exc_info=True)
        return MediaInfo(thumbnail=_card("Audio"), metadata={"waveform": "unreadable"})
    finally:
        fh.seek(0)
    return MediaInfo(
        duration=scan.duration,
        thumbnail=waveform(scan.envelope, scan.duration),
        metadata={"sample_rate": scan.sample_rate, "channels": scan.channels, "codec": scan.codec},
    )


# --------------------------------------------------------------------------- 3D

_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_CTYPES = {5120: "b", 5121: "B", 5122: "h", 5123: "H", 5125: "I", 5126: "f"}


def _glb_chunks(data: bytes) -> tuple[dict, bytes]:
    if len(data) < 20 or data[:4] != b"glTF":
        raise ValueError("not a GLB file")
    _, _version, length = struct.unpack_from("<4sII", data, 0)
    offset = 12
    doc, binary = None, b""
    while offset + 8 <= min(length, len(data)):
        size, kind = struct.unpack_from("<I4s", data, offset)
        chunk = data[offset + 8 : offset + 8 + size]
        if kind == b"JSON":
            doc = json.loads(chunk.decode("utf-8"))
        elif kind == b"BIN\x00":
            binary = chunk
        offset += 8 + size
    if doc is None:
        raise ValueError("no JSON chunk")
    return doc, binary


def _accessor(doc: dict, binary: bytes, index: int) -> list[tuple]:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    comps = _COMPONENTS[acc["type"]]
    ctype = _CTYPES[acc["componentType"]]
    size = struct.calcsize(ctype)
    stride = view.get("byteStride") or size * comps
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    out = []
    for i in range(acc["count"]):
        out.append(struct.unpack_from(f"<{comps}{ctype}", binary, start + i * stride))
    return out


def _triangles(doc: dict, binary: bytes, limit: int = 60_000):
    tris = []
    for mesh in doc.get("meshes", []):
        for prim in mesh.get("primitives", []):
            if prim.get("mode", 4) != 4 or "POSITION" not in prim.get("attributes", {}):
                continue
            pos = _accessor(doc, binary, prim["attributes"]["POSITION"])
            if "indices" in prim:
                idx = [i[0] for i in _accessor(doc, binary, prim["indices"])]
            else:
                idx = list(range(len(pos)))
            for k in range(0, len(idx) - 2, 3):
                tris.append((pos[idx[k]], pos[idx[k + 1]], pos[idx[k + 2]]))
                if len(tris) >= limit:
                    return tris
    return tris


def render_glb(data: bytes) -> tuple[Image.Image, int]:
    """A flat-shaded picture of a GLB's triangles (3/4 view) and how many there are."""
    doc, binary = _glb_chunks(data)
    tris = _triangles(doc, binary)
    if not tris:
        raise ValueError("no triangles")
    yaw, pitch = math.radians(35), math.radians(-20)
    cy, sy, cp, sp = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)

    def view(p):
        x, y, z = p[0], p[1], p[2]
        x, z = x * cy + z * sy, -x * sy + z * cy
        y, z = y * cp - z * sp, y * sp + z * cp
        return x, y, z

    viewed = [tuple(view(p) for p in t) for t in tris]
    xs = [p[0] for t in viewed for p in t]
    ys = [p[1] for t in viewed for p in t]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cyy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    w, h = THUMB
    scale = 0.8 * w / span
    light = (0.4, 0.6, 0.7)
    norm = math.sqrt(sum(c * c for c in light))
    light = tuple(c / norm for c in light)
    img = Image.new("RGB", THUMB, BACKGROUND)
    draw = ImageDraw.Draw(img)
    for t in sorted(viewed, key=lambda t: -(t[0][2] + t[1][2] + t[2][2])):
        ax, ay, az = (t[1][i] - t[0][i] for i in range(3))
        bx, by, bz = (t[2][i] - t[0][i] for i in range(3))
        nx, ny, nz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
        length = math.sqrt(nx * nx + ny * ny + nz * nz) or 1.0
        shade = abs(nx * light[0] + ny * light[1] + nz * light[2]) / length
        c = 0.25 + 0.75 * shade
        colour = tuple(int(v * c) for v in (200, 210, 230))
        pts = [(w / 2 + (p[0] - cx) * scale, h / 2 - (p[1] - cyy) * scale) for p in t]
        draw.polygon(pts, fill=colour)
    return img, len(tris)


def describe_model(fh: BinaryIO) -> MediaInfo:
    fh.seek(0)
    data = fh.read()
    fh.seek(0)
    try:
        image, count = render_glb(data)
    except Exception:  # noqa: BLE001
        logger.info("no preview for a 3D model", exc_info=True)
        return MediaInfo(thumbnail=_card("3D model", "GLB"), metadata={"preview": "unreadable"})
    return MediaInfo(thumbnail=image, metadata={"triangles": count})


def describe(kind: str, fh: BinaryIO) -> MediaInfo | None:
    """What a non-image asset of ``kind`` is, with its thumbnail; None for other kinds."""
    if kind == "video":
        return describe_video(fh)
    if kind == "audio":
        return describe_audio(fh)
    if kind == "model3d":
        return describe_model(fh)
    return None
