"""Property-based checks of upload validation: whatever the bytes, the answer is either an
accepted image described correctly or a ValidationError with a message — never a crash."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from assets.validation import ACCEPTED_FORMATS, inspect_image

EXAMPLES = hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CODES = {"empty", "too_large", "too_many_pixels", "not_an_image", "unsupported_type", "corrupt"}


def check(data: bytes):
    """inspect_image on ``data``: (info, None) or (None, error code)."""
    try:
        return inspect_image(io.BytesIO(data)), None
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
        return None, exc.code


def encode(fmt: str, mode: str, size: tuple[int, int], colour: int) -> bytes:
    img = Image.new(mode, size, colour if mode in ("L", "P") else (colour,) * len(mode))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


MODES = {"PNG": ["RGB", "RGBA", "L", "LA", "P"], "JPEG": ["RGB", "L"], "WEBP": ["RGB", "RGBA"]}


@st.composite
def images(draw):
    fmt = draw(st.sampled_from(sorted(MODES)))
    mode = draw(st.sampled_from(MODES[fmt]))
    size = (draw(st.integers(1, 300)), draw(st.integers(1, 300)))
    return fmt, mode, size, encode(fmt, mode, size, draw(st.integers(0, 255)))


@EXAMPLES
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_with_a_message_or_read_correctly(data):
    info, code = check(data)
    if info is None:
        assert code in CODES
    else:
        assert info.format in ACCEPTED_FORMATS and info.width > 0 and info.height > 0


@EXAMPLES
@given(images())
def test_every_valid_image_is_accepted_with_its_size(image):
    fmt, mode, size, data = image
    info, code = check(data)
    assert code is None, code
    assert (info.width, info.height) == size
    assert info.format == fmt
    assert info.content_type == ACCEPTED_FORMATS[fmt][0]
    if mode in ("RGBA", "LA") and fmt != "JPEG":
        assert info.has_alpha


@EXAMPLES
@given(images(), st.data())
def test_a_cut_off_image_is_refused_not_crashed_on(image, data):
    _, _, _, full = image
    cut = data.draw(st.integers(0, len(full) - 1))
    info, code = check(full[:cut])
    # Some formats tolerate losing trailing bytes (e.g. PNG's end marker); what is accepted
    # must still be readable.
    if info is None:
        assert code in CODES
    else:
        info.image.load()


@EXAMPLES
@given(images(), st.binary(min_size=1, max_size=64), st.data())
def test_corrupted_bytes_never_crash(image, noise, data):
    _, _, _, full = image
    at = data.draw(st.integers(0, len(full) - 1))
    corrupted = full[:at] + noise + full[at + len(noise) :]
    info, code = check(corrupted)
    assert info is not None or code in CODES


def png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@EXAMPLES
@given(st.integers(1, 2**20), st.integers(1, 2**20))
def test_a_header_over_the_pixel_limit_is_refused_before_decoding(settings, width, height):
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    assume(width * height > 1_000_000)
    info, code = check(png_header(width, height))
    assert info is None and code == "too_many_pixels"


@EXAMPLES
@given(images(), st.integers(1, 100_000))
def test_the_byte_limit_is_exact(settings, image, limit):
    _, _, _, data = image
    settings.UPLOAD_MAX_BYTES = limit
    info, code = check(data)
    if len(data) > limit:
        assert code == "too_large"
    else:
        assert code is None
