"""Odd but valid images: 16-bit greyscale PNGs and partly transparent LA/PA images."""

import io
import logging

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets import imaging, tagging
from assets.models import Asset

pytestmark = pytest.mark.django_db


def sixteen_bit_png() -> bytes:
    """A dark 16-bit greyscale ramp: levels 0–20000 of 65535 (0–78 in 8 bits)."""
    ramp = np.tile(np.linspace(0, 20000, 96), (64, 1)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, "PNG")
    return buf.getvalue()


def partly_transparent(mode: str) -> Image.Image:
    """A teal picture that is 39 % opaque everywhere (alpha 100)."""
    rgba = Image.new("RGBA", (60, 40), (20, 150, 140, 100))
    return rgba.convert(mode) if mode != "LA" else Image.new("LA", (60, 40), (90, 100))


def test_a_16_bit_png_upload_gets_a_palette_and_a_true_thumbnail(alice_client, alice, caplog):
    data = sixteen_bit_png()
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    with caplog.at_level(logging.WARNING):
        alice_client.post("/library/upload/", {"file": SimpleUploadedFile("scan.png", data)})

    asset = Asset.objects.get(owner=alice)
    assert not [r for r in caplog.records if "palette" in r.getMessage()]
    assert asset.palette
    # Dark greys, not the white that clipping 16-bit levels to 8 bits would give.
    assert all(max(c["rgb"]) <= 90 for c in asset.palette)
    thumb = np.asarray(Image.open(asset.thumbnail.open()).convert("L"))
    assert thumb.max() <= 90 and thumb[:, -5:].mean() > thumb[:, :5].mean() + 30


def test_16_bit_renditions_and_jpeg_exports_keep_their_levels():
    data = sixteen_bit_png()

    grid, _w, _h = imaging.make_rendition(io.BytesIO(data), spec="grid")
    jpeg = imaging.convert_image(io.BytesIO(data), fmt="jpeg")
    png = imaging.convert_image(io.BytesIO(data), fmt="png")

    assert np.asarray(Image.open(io.BytesIO(grid)).convert("L")).max() <= 90
    assert np.asarray(Image.open(io.BytesIO(jpeg)).convert("L")).max() <= 90
    assert Image.open(io.BytesIO(png)).mode == "I;16"  # PNG keeps all 16 bits


@pytest.mark.parametrize("mode", ["LA", "PA", "RGBA"])
def test_a_partly_transparent_image_still_has_colours(mode):
    img = partly_transparent(mode)

    colours = tagging.quick_palette(img)

    assert colours and colours[0]["share"] == 1.0
    if mode != "LA":
        r, g, b = colours[0]["rgb"]
        assert g > r + 60 and b > r + 60  # teal
