"""A tidy library in a real browser: a job's outputs are one stack that opens to its
renditions, masks never show, and derived outputs can be hidden."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.services import asset_create_from_upload, asset_create_output
from tests.factories import UserFactory

from .helpers import photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


@pytest.fixture
def library(studio):
    user = UserFactory(username="alice")
    upload = SimpleUploadedFile("harbour.png", photo_png((640, 480)))
    source = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    job_id = uuid.uuid4()
    renditions = [
        asset_create_output(
            owner=user,
            fh=io.BytesIO(photo_png((w, h))),
            content_type="image/png",
            extension="png",
            source_module="social",
            operation="social.pack",
            parent=source,
            source_job_id=job_id,
            title=f"Harbour {name}",
        )
        for name, w, h in [("square", 216, 216), ("story", 108, 192), ("banner", 300, 100)]
    ]
    mask = SimpleUploadedFile("mask.png", photo_png((640, 480)))
    asset_create_from_upload(owner=user, uploaded=mask, filename="brush mask.png", is_mask=True)
    return user, source, job_id, renditions


def test_a_pack_is_one_stack_masks_stay_out_and_derived_can_hide(page, studio, library):
    user, source, job_id, renditions = library
    sign_in(page, user, base_url=studio)
    page.goto("/library/")
    cards = page.locator("#library-grid .asset-card")
    expect(cards).to_have_count(2)  # the upload and one stack; no mask
    expect(page.locator("#library-grid")).not_to_contain_text("brush mask")
    stack = page.locator(".asset-card.is-stack")
    expect(stack.locator(".stack-count")).to_have_text("3")
    expect(stack).to_contain_text("3 outputs")

    stack.locator(".asset-thumb").click()
    page.wait_for_url(re.compile(rf"/library/\?stack={job_id}$"))
    expect(page.locator("#library-grid")).to_contain_text("One job’s outputs")
    expect(cards).to_have_count(3)
    for rendition in renditions:
        expect(page.locator(f'[data-asset="{rendition.public_id}"]')).to_be_visible()
    page.locator("a.asset-title", has_text="Harbour story").click()
    page.wait_for_url(f"{studio}/library/{renditions[1].public_id}/")

    page.goto("/library/")
    page.select_option("#id_derived", "hide")
    expect(cards).to_have_count(1)
    expect(page.locator(f'[data-asset="{source.public_id}"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"derived=hide"))
    page.select_option("#id_derived", "show")
    expect(cards).to_have_count(2)


def test_a_misspelt_search_shows_what_it_searched_for(page, studio, library):
    user, *_ = library
    sign_in(page, user, base_url=studio)
    page.goto("/library/")
    page.locator("#id_q").press_sequentially("harbur")  # searches as the user types
    expect(page.locator(".search-note")).to_contain_text("Showing results for")
    expect(page.locator(".search-note")).to_contain_text("harbour")
    expect(page.locator("#library-grid .asset-card")).to_have_count(2)
    page.fill("#id_q", "x" * 201)
    page.locator("#id_q").press("Enter")
    expect(page.locator(".search-error")).to_contain_text("at most 200 characters")
    expect(page.locator("#library-grid .asset-card")).to_have_count(0)


def test_cached_pages_follow_what_the_creator_does_in_the_browser(page, studio, library):
    """The library's sidebar and the image page are cached per library version: each
    change made in the page shows at once, and the forms of the cached parts still post."""
    user, source, *_ = library
    sign_in(page, user, base_url=studio)
    page.goto("/library/")  # cache the sidebar before anything changes
    expect(page.locator(".library-side")).not_to_contain_text("Harbour trip")
    for _ in range(2):  # the second visit reads the page's cached parts
        page.goto(source.get_absolute_url())
    page.fill("#new-collection", "Harbour trip")
    page.locator("form:has(#new-collection) button[type=submit]").click()
    expect(page.locator(".chip a", has_text="Harbour trip")).to_be_visible()
    page.fill("#rename-title", "Harbour at dawn")
    page.get_by_role("button", name="Save title").click()
    expect(page.locator("#rename-title")).to_have_value("Harbour at dawn")
    expect(page.locator("h1")).to_contain_text("Harbour at dawn")
    page.goto("/library/")
    side = page.locator(".library-side")
    expect(side.locator("li", has_text="Harbour trip")).to_contain_text("1")
    expect(page.locator("#library-grid")).to_contain_text("Harbour at dawn")
