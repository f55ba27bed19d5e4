"""Pages fit a phone and a desktop screen, and upload errors show where the user looks."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.models import Asset
from assets.services import asset_create_from_upload
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.services import job_create
from tests.factories import UserFactory

from .conftest import DESKTOP, PHONE
from .helpers import drop_file, horizontal_overflow, overflowing_elements, photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


@pytest.fixture
def maya(studio):
    """A user with an upload and a finished resize of it, so pages show real content."""
    user = UserFactory(username="maya", email="maya.with-a-rather-long-address@example.com")
    upload = SimpleUploadedFile("a-very-long-file-name-for-a-landscape-photo.png", photo_png())
    asset = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    job = job_create(
        user=user,
        operation=get_operation("tools.resize"),
        cleaned={"width": 320, "height": None, "mode": "fit"},
        inputs=[asset],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error  # ran eagerly on commit
    return user


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1440px"])
def test_pages_fit_the_screen_without_sideways_scrolling(page, studio, maya, viewport):
    page.set_viewport_size(viewport)
    response = page.goto("/accounts/login/")
    assert response.ok
    expect(page.locator("input[name=login]")).to_be_visible()
    assert horizontal_overflow(page) == 0, (
        f"login page scrolls sideways: {overflowing_elements(page)}"
    )

    sign_in(page, maya, base_url=studio)
    original = Asset.objects.get(owner=maya, parent=None)
    for path, landmark in [
        ("/", "#upload-zone"),
        ("/library/", ".gallery .asset-card"),
        (original.get_absolute_url(), "figure.preview img"),
    ]:
        response = page.goto(path)
        assert response.ok and page.url == f"{studio}{path}", f"{path} did not render"
        expect(page.locator(landmark).first).to_be_visible()
        assert page.evaluate("window.innerWidth") == viewport["width"]
        assert horizontal_overflow(page) == 0, (
            f"{path} scrolls sideways: {overflowing_elements(page)}"
        )


def test_dropping_a_file_that_is_not_an_image_shows_why_in_place(page, studio, maya):
    sign_in(page, maya, base_url=studio)
    page.goto("/")
    page.evaluate("window.__sameDocument = true")
    before = Asset.objects.filter(owner=maya).count()

    drop_file(
        page, ".upload-zone", b"name,size\nhills,1200\n", name="notes.png", content_type="image/png"
    )

    error = page.locator("#upload-zone [role=alert]")
    expect(error).to_have_text(
        "This file is not an image we can read. Upload a PNG, JPEG or WebP file."
    )
    expect(page.locator("#upload-zone input[type=file]")).to_be_visible()  # ready to try again
    assert page.url == f"{studio}/"
    assert page.evaluate("window.__sameDocument") is True
    assert Asset.objects.filter(owner=maya).count() == before
