"""Share boards in a real browser: password boards open (CSRF with the board's referrer
policy), wrong passwords are refused, open boards show to a logged-out visitor, and no
page breaks the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.services import asset_create_from_upload, collection_add_assets, share_create
from tests.assets.factories import CollectionFactory
from tests.factories import UserFactory

from .conftest import DESKTOP, watch_csp
from .helpers import photo_png

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


@pytest.fixture
def proofs(studio):
    owner = UserFactory(username="nadia")
    upload = SimpleUploadedFile("harbour-at-dawn.png", photo_png((640, 420)))
    asset = asset_create_from_upload(owner=owner, uploaded=upload, filename=upload.name)
    collection = CollectionFactory(owner=owner, name="Harbour proofs")
    collection_add_assets(collection=collection, asset_ids=[asset.pk])
    return owner, collection, asset


def test_password_board_opens_with_the_right_password_only(page, proofs):
    owner, collection, asset = proofs
    share = share_create(owner=owner, collection=collection, password="blue boats")
    page.goto(share.get_absolute_url())
    expect(page.get_by_role("heading", name="This board is protected")).to_be_visible()

    page.get_by_label("Password").fill("red boats")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("alert")).to_have_text("That password is not right.")
    assert "CSRF" not in page.content()

    page.get_by_label("Password").fill("blue boats")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name="Harbour proofs")).to_be_visible()
    tile = page.locator(".asset-card img").first
    expect(tile).to_be_visible()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=tile.element_handle()
    )


def test_a_logged_out_visitor_sees_an_open_board_and_its_item(page, proofs):
    owner, collection, asset = proofs
    share = share_create(owner=owner, collection=collection)
    page.goto(share.get_absolute_url())
    expect(page.get_by_role("heading", name="Harbour proofs")).to_be_visible()
    page.locator(".asset-card a.asset-thumb").first.click()
    preview = page.locator("figure.preview img")
    expect(preview).to_be_visible()
    page.wait_for_function("(img) => img.complete", arg=preview.element_handle())
    # Downloads are off: the preview is smaller than the original.
    width = page.evaluate("(img) => img.naturalWidth", preview.element_handle())
    assert 0 < width < 640
    assert page.get_by_role("link", name="Download").count() == 0


def test_the_csp_watch_catches_an_inline_script(browser, proofs, studio):
    """The CSP assertion every browser test makes is real: inline script is reported."""
    owner, collection, _ = proofs
    share = share_create(owner=owner, collection=collection)
    context = browser.new_context(viewport=DESKTOP, base_url=studio)
    try:
        page = context.new_page()
        violations = watch_csp(page)
        page.goto(share.get_absolute_url())
        page.evaluate(
            """() => {
              const s = document.createElement("script");
              s.textContent = "window.injected = true;";
              document.body.append(s);
            }"""
        )
        page.wait_for_timeout(200)
        assert page.evaluate("window.injected === undefined")
        assert violations and "script-src" in " ".join(violations)
    finally:
        context.close()


def test_the_owner_lists_and_revokes_temporary_links(page, proofs, studio):
    from .helpers import sign_in

    owner, _, asset = proofs
    sign_in(page, owner, base_url=studio)
    page.goto(asset.get_absolute_url())
    page.get_by_label("Link works for").select_option("600")
    page.get_by_role("button", name="Create link").click()
    url = page.locator("#temp-link-url").input_value()
    assert "/s/t/" in url
    page.get_by_role("button", name="Create link").click()
    revoke = page.get_by_role("button", name=re.compile("Revoke the link"))
    expect(revoke).to_have_count(2)

    visitor = page.context.browser.new_context(base_url=studio)
    try:
        assert visitor.request.get(url).status == 200
        revoke.first.click()
        expect(revoke).to_have_count(1)
        statuses = {visitor.request.get(url).status}
        second = page.locator("#temp-link-url").input_value()
        statuses.add(visitor.request.get(second).status)
        assert statuses == {200, 404}  # exactly one of the two links stopped working
    finally:
        visitor.close()
