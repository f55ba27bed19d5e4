"""Decide by content, not by name, whether an uploaded file is an image we accept."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

from media import format_for

from .imaging import upload_decode_size

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
    # Decoded, for the thumbnail, the grid tile and analysis; a large JPEG at a reduced
    # scale (``width`` and ``height`` are always the file's own).
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
        # Decode at the smallest DCT scale that still covers what the upload makes from
        # this one decode (a 12 MP photo decodes at 1/4 size, several times faster). Every
        # byte of the entropy-coded data is still read, so truncated and corrupt files
        # fail just the same.
        probe.draft(None, upload_decode_size(width, height))
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


# --------------------------------------------------------------------------- audio

# Content signatures of the audio files we take; anything else is "not audio" whatever
# its name. Recordings made in the browser arrive as WebM/Ogg (Opus) and are converted.
AUDIO_KEEP = {"wav": ("audio/wav", ".wav"), "mp3": ("audio/mpeg", ".mp3")}
SILENCE_PEAK = 10 ** (-50 / 20)  # quieter than -50 dBFS everywhere is silence


def sniff_audio(head: bytes) -> str:
    """'wav', 'mp3', 'ogg', 'webm', 'm4a', 'flac' from a file's first bytes, or ""."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso", b"dash"):
        return "m4a"
    return ""


@dataclass
class AudioInfo:
    kind: str  # "wav", "mp3", … as sniffed
    content_type: str
    extension: str
    duration: float
    peak: float
    data: bytes  # the file to store: as uploaded (WAV, MP3) or converted to WAV


def _to_wav(fh: BinaryIO) -> bytes:
    """Decode any audio PyAV reads and write it as 16-bit PCM WAV."""
    import av

    fh.seek(0)
    out = io.BytesIO()
    with av.open(fh, mode="r") as src, av.open(out, mode="w", format="wav") as dst:
        stream = src.streams.audio[0]
        rate = stream.codec_context.sample_rate or 48_000
        layout = "mono" if (stream.codec_context.channels or 1) == 1 else "stereo"
        target = dst.add_stream("pcm_s16le", rate=rate, layout=layout)
        resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
        for frame in src.decode(stream):
            for chunk in resampler.resample(frame):
                for packet in target.encode(chunk):
                    dst.mux(packet)
        for chunk in resampler.resample(None):
            for packet in target.encode(chunk):
                dst.mux(packet)
        for packet in target.encode(None):
            dst.mux(packet)
    return out.getvalue()


def inspect_audio(
    fh: BinaryIO,
    *,
    size: int | None = None,
    max_seconds: float,
    min_seconds: float = 0.5,
    max_bytes: int,
) -> AudioInfo:
    """Validate an uploaded speech recording and return what it is.

    The type comes from the content, the duration from decoding every sample (never the
    header's claim), and a recording quieter than -50 dBFS throughout is refused as silent.
    Raises ``ValidationError`` with a message for the user.
    """
    from .media import scan_audio

    if size is None:
        fh.seek(0, 2)
        size = fh.tell()
    if size == 0:
        raise ValidationError("The audio file is empty.", code="empty")
    if size > max_bytes:
        raise ValidationError(
            f"The audio file is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}.",
            code="too_large",
        )
    fh.seek(0)
    kind = sniff_audio(fh.read(16))
    fh.seek(0)
    if not kind:
        raise ValidationError(
            "This file is not audio we can read. Upload an MP3 or WAV file (or record a clip).",
            code="not_audio",
        )
    try:
        scan = scan_audio(fh, max_seconds=max_seconds)
    except ValueError:
        raise ValidationError(
            "This file is not audio we can read. Upload an MP3 or WAV file (or record a clip).",
            code="not_audio",
        ) from None
    if scan.duration > max_seconds:
        raise ValidationError(
            f"The recording is longer than {max_seconds:g} seconds; the limit is "
            f"{max_seconds:g} seconds. Trim it and try again.",
            code="too_long",
        )
    if scan.duration < min_seconds:
        raise ValidationError(
            f"The recording is only {scan.duration:.1f} seconds long.", code="too_short"
        )
    if scan.peak < SILENCE_PEAK:
        raise ValidationError(
            "The recording is silent. Check the microphone or pick another file.", code="silent"
        )
    fh.seek(0)
    if kind in AUDIO_KEEP:
        content_type, ext = AUDIO_KEEP[kind]
        data = fh.read()
    else:
        content_type, ext = "audio/wav", ".wav"
        data = _to_wav(fh)
    fh.seek(0)
    return AudioInfo(
        kind=kind,
        content_type=content_type,
        extension=ext,
        duration=scan.duration,
        peak=scan.peak,
        data=data,
    )
