"""Several images in one go: each is stored or refused on its own."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset
from tests.utils import image_bytes

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _png(name: str, size=(64, 48)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", size), content_type="image/png")


def test_a_per_file_upload_answers_with_the_new_images_page(alice_client, alice):
    response = alice_client.post("/library/upload/", {"file": _png("sea.png")}, **JSON)
    asset = Asset.objects.get(owner=alice)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "url": asset.get_absolute_url(), "title": "sea"}


def test_a_refused_per_file_upload_says_why_and_stores_nothing(alice_client):
    bad = SimpleUploadedFile("notes.png", b"just text", content_type="image/png")
    response = alice_client.post("/library/upload/", {"file": bad}, **JSON)
    assert response.status_code == 422
    answer = response.json()
    assert answer["ok"] is False and answer["name"] == "notes.png"
    assert "not an image we can read" in answer["errors"][0]
    assert not Asset.objects.exists()


def test_a_per_file_upload_takes_exactly_one_file(alice_client):
    response = alice_client.post(
        "/library/upload/", {"file": [_png("a.png"), _png("b.png")]}, **JSON
    )
    assert response.status_code == 400
    assert not Asset.objects.exists()


def test_several_files_posted_at_once_keep_going_past_a_bad_one(alice_client, alice):
    bad = SimpleUploadedFile("notes.png", b"just text", content_type="image/png")
    response = alice_client.post(
        "/library/upload/",
        {"file": [_png("one.png"), bad, _png("two.png", (80, 80))], "next": "/library/"},
        follow=True,
    )
    assert sorted(Asset.objects.filter(owner=alice).values_list("title", flat=True)) == [
        "one",
        "two",
    ]
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/library/"
    assert "Uploaded 2 of 3 images." in html
    assert "notes.png: This file is not an image we can read." in html


def test_anonymous_uploads_are_refused(client):
    response = client.post("/library/upload/", {"file": _png("a.png")}, **JSON)
    assert response.status_code == 302
    assert not Asset.objects.exists()
