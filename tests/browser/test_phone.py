"""Every page at phone width (375 px): nothing scrolls sideways, the demo banner and header
stay compact, billing tables scroll in their own box, and Social shows previews first with
the formats in a drawer."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.services import asset_create_from_upload
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.services import job_create
from tests.factories import UserFactory

from .conftest import PHONE
from .helpers import horizontal_overflow, overflowing_elements, photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


@pytest.fixture
def busy_creator(studio, settings):
    """A user with an upload, a finished job (so billing has usage and ledger rows)."""
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all
    from billing.services import credits_add

    settings.PROVIDERS_DEMO = True  # the banner shows, as on a demo server
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username="lena", email="lena.with-a-rather-long-address@example.com")
    credits_add(user=user, amount=1234567, kind="purchase", reason="a rather long reason " * 3)
    upload = SimpleUploadedFile("a-very-long-file-name-for-a-landscape-photo.png", photo_png())
    asset = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    job = job_create(
        user=user,
        operation=get_operation("tools.resize"),
        cleaned={"width": 320, "height": None, "mode": "fit"},
        inputs=[asset],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return user, asset


def _pages(asset):
    return [
        ("/", "#upload-zone"),
        ("/create/", "#create-form"),
        ("/social/", "h1"),
        (f"/social/{asset.public_id}/", "#social-previews"),
        ("/library/", ".gallery .asset-card"),
        ("/library/trash/", "h1"),
        (asset.get_absolute_url(), "figure.preview img"),
        ("/jobs/", ".job-card"),
        ("/billing/", "#ledger table"),
    ]


def test_no_page_scrolls_sideways_at_375px(page, studio, busy_creator):
    user, asset = busy_creator
    page.set_viewport_size(PHONE)
    sign_in(page, user, base_url=studio)
    wide = {}
    for path, landmark in _pages(asset):
        response = page.goto(path)
        assert response.ok, f"{path}: {response.status}"
        expect(page.locator(landmark).first).to_be_visible()
        assert page.evaluate("window.innerWidth") == PHONE["width"]
        if horizontal_overflow(page):
            wide[path] = (horizontal_overflow(page), overflowing_elements(page))
    assert not wide, f"pages that scroll sideways: {wide}"


def test_the_demo_banner_and_header_stay_compact_and_the_menu_opens(page, studio, busy_creator):
    user, _ = busy_creator
    page.set_viewport_size(PHONE)
    sign_in(page, user, base_url=studio)
    page.goto("/library/")
    banner = page.locator(".demo-banner").bounding_box()
    header = page.locator(".site-header").bounding_box()
    top = banner["height"] + header["height"]
    assert top <= 0.15 * PHONE["height"], f"banner {banner['height']} + header {header['height']}"
    # The modules sit behind a menu button; it opens them, current page marked, and closes.
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    toggle = page.get_by_role("button", name="Menu")
    toggle.click()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Library")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Create")).to_be_visible()
    assert horizontal_overflow(page) == 0
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    # The whole demo notice is still one tap away.
    expect(page.locator(".demo-banner")).to_contain_text("Demo")


def test_billing_tables_scroll_in_their_own_box(page, studio, busy_creator):
    user, _ = busy_creator
    page.set_viewport_size(PHONE)
    sign_in(page, user, base_url=studio)
    page.goto("/billing/")
    ledger = page.locator("#ledger .table-scroll")
    expect(ledger).to_be_visible()
    box = ledger.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert ledger.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    # The table inside is wider than the phone and scrolls within its box.
    assert ledger.evaluate("el => el.scrollWidth > el.clientWidth")
    ledger.evaluate("el => { el.scrollLeft = 200; }")
    assert ledger.evaluate("el => el.scrollLeft") > 0
    assert horizontal_overflow(page) == 0


def test_social_shows_previews_first_and_the_formats_in_a_drawer(page, studio, busy_creator):
    user, asset = busy_creator
    page.set_viewport_size(PHONE)
    sign_in(page, user, base_url=studio)
    page.goto(f"/social/{asset.public_id}/")
    previews = page.locator("#social-previews")
    expect(previews.locator(".tile").first).to_be_visible()
    drawer = page.locator("details.format-drawer")
    assert drawer.evaluate("el => el.open") is False
    assert previews.bounding_box()["y"] < drawer.bounding_box()["y"]
    # Opening the drawer shows the formats; ticking one adds its preview.
    drawer.locator("> summary").click()
    before = previews.locator(".tile").count()
    page.get_by_label("Feed post (portrait) · 1080×1350").check()
    expect(previews.locator(".tile")).to_have_count(before + 1)
    expect(drawer.locator("> summary")).to_contain_text(f"{before + 1} selected")
    assert horizontal_overflow(page) == 0
