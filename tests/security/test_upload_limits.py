"""Oversized uploads are refused while they stream in, before anything is stored."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from assets.models import Asset
from imagestudio.uploads import SizeLimitUploadHandler
from tests.conftest import HTMX
from tests.utils import image_bytes

pytestmark = pytest.mark.django_db


class CountingStream(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.consumed = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def parse(body: bytes, *, content_length: int, stored: list):
    """Run Django's multipart parser over ``body`` with the project's handlers."""
    stream = CountingStream(body)
    request = RequestFactory().generic(
        "POST", "/library/upload/", data=body, content_type=MULTIPART_CONTENT
    )
    request.META["CONTENT_LENGTH"] = str(content_length)
    request._stream = stream

    class Recording(TemporaryFileUploadHandler):
        def receive_data_chunk(self, raw_data, start):
            stored.append(len(raw_data))
            return super().receive_data_chunk(raw_data, start)

    request.upload_handlers = [SizeLimitUploadHandler(request), Recording(request)]
    return request, request.POST, request.FILES, stream


def multipart(size: int) -> bytes:
    return encode_multipart(
        BOUNDARY,
        {
            "csrfmiddlewaretoken": "token-before-the-file",
            "file": SimpleUploadedFile("big.png", os.urandom(size), content_type="image/png"),
        },
    )


def test_a_body_declared_too_large_is_not_read_past_the_fields(settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    body = multipart(2_000_000)
    stored = []
    request, post, files, stream = parse(body, content_length=len(body), stored=stored)
    assert request.upload_refused and "file" not in files
    assert post["csrfmiddlewaretoken"] == "token-before-the-file"
    assert stored == []
    assert stream.consumed < 200_000  # of 2 MB


def test_an_understated_body_is_stopped_at_the_limit(settings):
    """A client may lie about (or omit) the length: the byte count still stops it."""
    settings.UPLOAD_MAX_BYTES = 100_000
    body = multipart(2_000_000)
    stored = []
    request, _, files, stream = parse(body, content_length=150_000, stored=stored)
    assert request.upload_refused and "file" not in files
    assert sum(stored) <= 100_000 + 64 * 1024
    assert stream.consumed < 400_000


def test_a_file_under_the_limit_passes_through(settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    body = multipart(50_000)
    stored = []
    request, _, files, _ = parse(body, content_length=len(body), stored=stored)
    assert not getattr(request, "upload_refused", False)
    uploaded = files["file"]
    uploaded.close()
    assert uploaded.size == 50_000 and sum(stored) == 50_000


def test_the_upload_page_says_what_the_limit_is(alice_client, settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    big = SimpleUploadedFile("big.png", os.urandom(300_000), content_type="image/png")
    response = alice_client.post("/library/upload/", {"file": big}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "too large: the limit is 97.7" in html and "This field is required" not in html
    assert not Asset.objects.exists()


def test_a_normal_upload_still_works(alice_client):
    small = SimpleUploadedFile("small.png", image_bytes("PNG", (40, 30)), content_type="image/png")
    response = alice_client.post("/library/upload/", {"file": small}, **HTMX)
    assert response.status_code == 200 and Asset.objects.count() == 1


def test_memory_handler_is_still_in_the_chain(settings):
    assert settings.FILE_UPLOAD_HANDLERS[0] == "imagestudio.uploads.SizeLimitUploadHandler"
    assert MemoryFileUploadHandler.__module__ + ".MemoryFileUploadHandler" in (
        settings.FILE_UPLOAD_HANDLERS
    )
