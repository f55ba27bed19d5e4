import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets.models import Asset
from tests.conftest import HTMX
from tests.utils import image_bytes, open_bytes

pytestmark = pytest.mark.django_db


def _stored_files() -> list[str]:
    dirs, files = default_storage.listdir("")
    found = list(files)
    stack = list(dirs)
    while stack:
        d = stack.pop()
        sub_dirs, sub_files = default_storage.listdir(d)
        found += [f"{d}/{f}" for f in sub_files]
        stack += [f"{d}/{s}" for s in sub_dirs]
    return found


def _upload(client, name: str, data: bytes, content_type: str = "image/png", **extra):
    return client.post(
        "/library/upload/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        **extra,
    )


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height``: a decompression bomb's calling card."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_it_stores_a_valid_upload_with_thumbnail(alice_client, alice):
    response = _upload(alice_client, "holiday.jpg", image_bytes("JPEG", (800, 600)), "image/jpeg")
    asset = Asset.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == asset.get_absolute_url()
    assert (asset.width, asset.height) == (800, 600)
    assert asset.content_type == "image/jpeg"
    assert asset.file.name.endswith(".jpg")
    assert len(asset.checksum) == 64
    assert asset.file_size == asset.file.size
    thumb = open_bytes(asset.thumbnail.read())
    assert thumb.format == "WEBP"
    assert max(thumb.size) == 480
    assert asset.source_module == "upload"
    assert asset.title == "holiday"


def test_htmx_upload_redirects_the_client_to_the_asset(alice_client, alice):
    response = _upload(alice_client, "a.png", image_bytes(), **HTMX)
    asset = Asset.objects.get(owner=alice)
    assert response["HX-Redirect"] == asset.get_absolute_url()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("fake.png", b"GIF89a" + b"\x00" * 100, "not an image we can read"),
        ("notes.jpg", b"just some text, not an image at all", "not an image we can read"),
        ("anim.png", None, "GIF files are not supported"),
        ("broken.png", image_bytes("PNG", (300, 300))[:400], "damaged or incomplete"),
        ("bomb.png", _png_header_only(30000, 30000), "too many pixels"),
        ("empty.png", b"", "empty"),
    ],
)
def test_it_rejects_bad_files_and_stores_nothing(alice_client, alice, name, data, message):
    if data is None:
        buf = io.BytesIO()
        Image.new("RGB", (20, 20), "red").save(buf, "GIF")
        data = buf.getvalue()
    response = _upload(alice_client, name, data, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Asset.objects.exists()
    assert _stored_files() == []


def test_it_rejects_files_over_the_byte_limit(alice_client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = _upload(alice_client, "big.png", image_bytes("PNG", (400, 400)), **HTMX)
    assert response.status_code == 422
    assert "the limit is 1000" in response.content.decode()
    assert not Asset.objects.exists()
    assert _stored_files() == []


def test_it_rejects_images_over_the_pixel_limit(alice_client, settings):
    settings.UPLOAD_MAX_PIXELS = 100 * 100
    response = _upload(alice_client, "wide.png", image_bytes("PNG", (200, 100)), **HTMX)
    assert response.status_code == 422
    assert "200×100" in response.content.decode()
    assert not Asset.objects.exists()


def test_non_htmx_bad_upload_redirects_with_a_message(alice_client):
    response = _upload(alice_client, "x.png", b"nope", follow=True)
    assert response.status_code == 200
    assert "not an image we can read" in response.content.decode()
    assert not Asset.objects.exists()


def test_transparent_png_keeps_alpha_flag(alice_client, alice):
    _upload(alice_client, "cutout.png", image_bytes("PNG", (50, 50), mode="RGBA"))
    asset = Asset.objects.get(owner=alice)
    assert asset.has_alpha is True


def test_anonymous_cannot_upload(client):
    response = _upload(client, "a.png", image_bytes())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Asset.objects.exists()


def test_phone_multi_picture_jpegs_are_accepted(alice_client, alice):
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    response = _upload(alice_client, "IMG_0001.JPG", buf.getvalue(), "image/jpeg")
    asset = Asset.objects.get(owner=alice)
    assert response.status_code == 302
    assert asset.content_type == "image/jpeg" and asset.file.name.endswith(".jpg")
