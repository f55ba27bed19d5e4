"""The shared format table and encoder that every file the studio writes goes through."""

import io

import pytest
from PIL import Image

import media


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_one_table_names_every_format_the_same_way():
    assert media.format_for("JPG") is media.format_for("jpeg") is media.FORMATS["jpeg"]
    assert media.format_for("MPO").content_type == "image/jpeg"
    assert media.format_for_content_type("image/webp; q=1").extension == "webp"
    assert media.format_for_content_type("image/gif") is None
    with pytest.raises(KeyError):
        media.format_for("bmp")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_encode_writes_the_format_it_is_asked_for(fmt):
    img = Image.new("RGB", (20, 10), (10, 120, 200))
    out = _decode(media.encode(img, fmt, quality=90))
    assert out.format == media.format_for(fmt).pil and out.size == (20, 10)


def test_jpeg_flattens_transparency_onto_white():
    img = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    out = _decode(media.encode(img, "jpeg"))
    assert out.mode == "RGB" and min(out.getpixel((4, 4))) > 245


def test_png_keeps_a_transparent_palette():
    img = Image.new("P", (4, 4), 0)
    img.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    img.info["transparency"] = 0
    out = _decode(media.encode(img, "png"))
    assert out.convert("RGBA").getpixel((0, 0))[3] == 0


def _with_exif(orientation: int) -> Image.Image:
    img = Image.new("RGB", (30, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = "a description"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), xmp=b"<x:xmpmeta>recipe</x:xmpmeta>")
    return _decode(buf.getvalue())


def test_metadata_is_dropped_unless_kept():
    src = _with_exif(6)
    stripped = _decode(media.encode(src, "jpeg"))
    assert not stripped.getexif() and "xmp" not in stripped.info
    kept = _decode(media.encode(src, "jpeg", keep_metadata=True, upright=False))
    assert kept.getexif()[0x0112] == 6 and kept.getexif()[0x010E] == "a description"


def test_upright_pixels_lose_the_orientation_tag():
    src = _with_exif(6)
    kept = _decode(media.encode(src, "webp", keep_metadata=True, upright=True))
    assert 0x0112 not in kept.getexif() and kept.getexif()[0x010E] == "a description"


def test_encode_does_not_change_the_callers_image():
    src = _with_exif(3)
    before = dict(src.info)
    media.encode(src, "png")
    assert src.info == before
