"""Default storage on a real S3-compatible server (moto's server mode, over HTTP).

The storage is configured by running ``imagestudio/settings.py`` itself with the S3
environment variables set, so these tests cover the settings' S3 branch, not a copy of it.

moto (5.2) checks neither presigned signatures nor ``X-Amz-Expires``: an expired presigned
URL still downloads there. So the lifetime is checked where this project controls it: the
URL carries the configured expiry and a SigV4 signature that covers it.
"""

from __future__ import annotations

import runpy
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit, urlunsplit

import boto3
import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

import imagestudio.settings
from assets.models import Asset
from assets.services import asset_create_from_upload
from tests.utils import image_bytes, open_bytes, read_field

pytestmark = pytest.mark.real_storage

BUCKET = "studio-media"
REGION = "us-east-1"
ACCESS_KEY = "studio-test-key"
SECRET_KEY = "studio-test-secret"  # noqa: S105
EXPIRE_SECONDS = 2
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on a free loopback port, for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint):
    """A boto3 client on an empty server holding one empty bucket."""
    httpx.post(f"{s3_endpoint}/moto-api/reset").raise_for_status()
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def s3_storage(s3, s3_endpoint, settings, monkeypatch):
    """Django's default storage, configured by settings.py's own S3 branch."""
    for name, value in {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_QUERYSTRING_EXPIRE": str(EXPIRE_SECONDS),
    }.items():
        monkeypatch.setenv(name, value)
    configured = runpy.run_path(imagestudio.settings.__file__)["STORAGES"]["default"]
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": configured}
    assert default_storage.bucket_name == BUCKET  # the lazy default follows the setting
    return default_storage


def _objects(s3) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def _expected_signature(url: str, signed_at: datetime) -> str:
    """The SigV4 query signature S3 expects for ``url`` (signature removed) at ``signed_at``."""
    parts = urlsplit(url)
    unsigned = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    request = AWSRequest(method="GET", url=unsigned, headers={"host": parts.netloc})
    signer = S3SigV4QueryAuth(
        Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=EXPIRE_SECONDS
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        signer.add_auth(request)
    return parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]


def test_it_saves_reads_and_deletes_objects_in_the_bucket(s3_storage, s3):
    name = s3_storage.save("notes/hello.txt", ContentFile(b"hello, bucket"))

    assert name == "notes/hello.txt"
    assert _objects(s3) == {name}
    assert s3_storage.exists(name) and s3_storage.size(name) == 13
    with s3_storage.open(name, "rb") as fh:
        assert fh.read() == b"hello, bucket"
    assert s3.get_object(Bucket=BUCKET, Key=name)["Body"].read() == b"hello, bucket"

    # file_overwrite=False: a second file under the same name gets a name of its own.
    second = s3_storage.save("notes/hello.txt", ContentFile(b"another"))
    assert second != name and _objects(s3) == {name, second}

    s3_storage.delete(name)
    assert not s3_storage.exists(name)
    assert _objects(s3) == {second}


def test_objects_are_private_and_served_through_signed_urls(s3_storage, s3, s3_endpoint):
    name = s3_storage.save("private/photo.png", ContentFile(image_bytes()))

    grantees = [grant["Grantee"] for grant in s3.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]]
    assert [g["Type"] for g in grantees] == ["CanonicalUser"]  # the owner, nobody else
    unsigned = httpx.get(f"{s3_endpoint}/{BUCKET}/{name}")
    assert unsigned.status_code == 403

    url = s3_storage.url(name)
    signed = httpx.get(url)
    assert signed.status_code == 200 and signed.content == image_bytes()


def test_signed_urls_carry_the_configured_lifetime_under_the_signature(s3_storage):
    name = s3_storage.save("private/photo.png", ContentFile(image_bytes()))
    before = datetime.now(UTC).replace(microsecond=0)
    url = s3_storage.url(name)
    query = parse_qs(urlsplit(url).query)

    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == [str(EXPIRE_SECONDS)]
    assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY}/")
    signed_at = datetime.strptime(query["X-Amz-Date"][0], SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    assert before <= signed_at <= datetime.now(UTC) + timedelta(seconds=1)
    # Recomputed with the secret: the expiry is part of what is signed, so whoever holds the
    # URL can't stretch it, and S3 refuses it EXPIRE_SECONDS after X-Amz-Date.
    assert query["X-Amz-Signature"] == [_expected_signature(url, signed_at)]


@pytest.mark.django_db
def test_an_upload_lands_in_the_bucket_with_its_thumbnail(s3_storage, s3, alice):
    data = image_bytes("PNG", (800, 600))
    upload = SimpleUploadedFile("beach.png", data, content_type="image/png")

    asset = asset_create_from_upload(owner=alice, uploaded=upload, filename="beach.png")

    asset = Asset.objects.get(pk=asset.pk)
    grid = asset.renditions.get(spec="grid")
    assert _objects(s3) == {asset.file.name, asset.thumbnail.name, grid.file.name}
    assert asset.file.name.endswith(".png") and asset.thumbnail.name.endswith(".webp")
    assert s3.get_object(Bucket=BUCKET, Key=asset.file.name)["Body"].read() == data
    assert read_field(asset.file) == data
    thumb = open_bytes(read_field(asset.thumbnail))
    assert thumb.format == "WEBP" and max(thumb.size) <= 480


@pytest.mark.django_db
def test_the_file_views_redirect_to_signed_urls_that_serve_the_bytes(
    s3_storage, s3, alice, alice_client, bob_client
):
    data = image_bytes("JPEG", (640, 480))
    upload = SimpleUploadedFile("street.jpg", data, content_type="image/jpeg")
    asset = asset_create_from_upload(owner=alice, uploaded=upload, filename="street.jpg")

    response = alice_client.get(f"/library/{asset.public_id}/file/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_storage.endpoint_url}/{BUCKET}/{asset.file.name}?")
    assert "X-Amz-Signature=" in location
    served = httpx.get(location)
    assert served.status_code == 200 and served.content == data

    response = alice_client.get(f"/library/{asset.public_id}/thumb/")
    assert response.status_code == 302
    assert open_bytes(httpx.get(response["Location"]).content).format == "WEBP"

    # Someone else's asset stays a 404: no URL to the bucket is handed out.
    assert bob_client.get(f"/library/{asset.public_id}/file/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_emptying_the_trash_deletes_the_objects_from_the_bucket(s3_storage, s3, alice):
    from assets.services import assets_trash, trash_empty
    from imagestudio.celery import app as celery_app

    # File deletion runs as a task after commit; run it in-process here.
    had = "task_always_eager" in celery_app.conf.changes
    celery_app.conf.task_always_eager = True
    try:
        upload = SimpleUploadedFile(
            "old.png", image_bytes("PNG", (300, 200)), content_type="image/png"
        )
        asset = asset_create_from_upload(owner=alice, uploaded=upload, filename="old.png")
        keys = {asset.file.name, asset.thumbnail.name, asset.renditions.get().file.name}
        assert keys <= _objects(s3)
        assets_trash(owner=alice, asset_ids=[asset.pk])
        assert keys <= _objects(s3)  # trash is restorable: files stay
        assert trash_empty(owner=alice) == 1
        assert not (keys & _objects(s3))
        assert not Asset.objects.filter(pk=asset.pk).exists()
    finally:
        if not had:
            celery_app.conf.changes.pop("task_always_eager", None)
