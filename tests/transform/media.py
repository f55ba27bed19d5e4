"""Real media files for tests, made offline: an H.264 MP4, speech-like WAV/MP3/WebM clips and
a GLB cube."""

from __future__ import annotations

import io
import json
import math
import struct
import tempfile
from pathlib import Path

import av
import numpy as np


def make_mp4(seconds: float = 2.0, size: tuple[int, int] = (320, 240), fps: int = 24) -> bytes:
    """An H.264 MP4 (faststart) of a moving bar, ``seconds`` long."""
    # faststart moves the index to the front (so a player can seek before the whole file
    # has arrived); the muxer rewrites the file for that, so it needs a real file.
    tmp = tempfile.NamedTemporaryFile(suffix=".mp4", delete=False)
    tmp.close()
    with av.open(tmp.name, mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}
        w, h = size
        for i in range(int(seconds * fps)):
            img = np.full((h, w, 3), (40, 90, 160), dtype=np.uint8)
            x = int((i / (seconds * fps)) * (w - 40))
            img[h // 3 : 2 * h // 3, x : x + 40] = (250, 210, 80)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = Path(tmp.name).read_bytes()
    Path(tmp.name).unlink()
    return data


def tone(seconds: float, rate: int = 16_000, amplitude: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    # A voice-like mix whose loudness rises and falls, so the waveform has a shape.
    env = 0.5 + 0.5 * np.sin(2 * math.pi * 1.3 * t) ** 2
    return (
        amplitude * env * (np.sin(2 * math.pi * 220 * t) + 0.4 * np.sin(2 * math.pi * 660 * t))
    ).astype(np.float32)


def make_audio(
    seconds: float = 3.0, *, fmt: str = "wav", silent: bool = False, rate: int = 16_000
) -> bytes:
    samples = np.zeros(int(seconds * rate), np.float32) if silent else tone(seconds, rate)
    codec, container_fmt, sample_fmt = {
        "wav": ("pcm_s16le", "wav", "s16"),
        "mp3": ("libmp3lame", "mp3", "fltp"),
        "webm": ("libopus", "webm", "flt"),
    }[fmt]
    if fmt == "webm":
        rate = 48_000
        samples = np.zeros(int(seconds * rate), np.float32) if silent else tone(seconds, rate)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=sample_fmt, layout="mono", rate=rate)
        step = 1024
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = rate
            for f in resampler.resample(frame):
                for packet in stream.encode(f):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def make_glb_cube() -> bytes:
    """A binary glTF 2.0 file holding one cube mesh (positions and indices)."""
    v = [(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    idx = [i for a, b, c, d in faces for i in (a, b, c, a, c, d)]
    pos = b"".join(struct.pack("<3f", *p) for p in v)
    ind = b"".join(struct.pack("<H", i) for i in idx)
    ind += b"\x00" * (-len(ind) % 4)
    binary = pos + ind
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(pos)},
            {"buffer": 0, "byteOffset": len(pos), "byteLength": len(idx) * 2},
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 8,
                "type": "VEC3",
                "min": [-1, -1, -1],
                "max": [1, 1, 1],
            },
            {"bufferView": 1, "componentType": 5123, "count": len(idx), "type": "SCALAR"},
        ],
    }
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    total = 12 + 8 + len(js) + 8 + len(binary)
    return (
        b"glTF"
        + struct.pack("<II", 2, total)
        + struct.pack("<I", len(js))
        + b"JSON"
        + js
        + struct.pack("<I", len(binary))
        + b"BIN\x00"
        + binary
    )
