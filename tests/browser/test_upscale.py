"""The Upscale page in a real browser: a preset changes the shown output size, method and
cost (and the button), a run makes a new version, and the compare view zooms and pans both
sides together with a 1:1 loupe."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.models import Asset
from assets.services import asset_create_from_upload
from billing.models import Plan
from billing.services import credits_add, plan_change
from tests.factories import UserFactory
from tests.upscale.conftest import fake_servers, providers_on  # noqa: F401

from .helpers import photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


@pytest.fixture
def creator(studio):
    from billing.models import CreditPack, PriceRule
    from billing.seed import seed_all

    # The live server's database is emptied between tests; the plans and prices come back.
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username="alice")
    plan_change(user=user, plan=Plan.objects.get(slug="creator"))
    credits_add(user=user, amount=500, kind="purchase", reason="test credits")
    upload = SimpleUploadedFile("hills.png", photo_png((600, 400)))
    photo = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    return user, photo


def test_a_preset_changes_the_shown_size_method_and_cost(page, studio, creator, providers_on):  # noqa: F811
    providers_on("stability")
    user, photo = creator
    sign_in(page, user, base_url=studio)
    page.goto(f"/upscale/{photo.public_id}/")
    plan = page.locator("#upscale-plan")
    expect(plan.locator("[data-output-size]")).to_have_text("1200×800 px")
    expect(plan.locator("[data-method]")).to_have_text("Stability fast ×4")
    expect(plan.locator("[data-cost]")).to_have_text(re.compile("^2 credits"))
    expect(page.locator(".cost-button")).to_contain_text("2 credits")

    page.get_by_label("Size").select_option("a3")
    expect(plan.locator("[data-output-size]")).to_have_text("4961×3307 px")
    expect(plan.locator("[data-method]")).to_have_text("Offline FSRCNN")
    expect(plan.locator("[data-reason]")).to_contain_text("Auto: Offline FSRCNN")
    expect(plan.locator("[data-cost]")).to_have_text(re.compile("^Free"))
    expect(page.locator(".cost-button")).to_contain_text("Free")

    # A method that can't reach the size says why, on the page, before anything runs.
    page.get_by_label("Method").select_option("stability:upscale-fast")
    expect(plan.locator("[data-problem]")).to_contain_text("makes at most 2400×1600 px")


def test_an_upscale_becomes_a_version_and_compares_with_synced_zoom_and_a_loupe(
    page,
    studio,
    creator,
    providers_on,  # noqa: F811
):
    providers_on("none")
    user, photo = creator
    sign_in(page, user, base_url=studio)
    page.goto(f"/upscale/{photo.public_id}/")
    page.get_by_label("Size").select_option("web")
    expect(page.locator("#upscale-plan [data-output-size]")).to_have_text("2048×1365 px")
    page.locator(".cost-button").click()
    card = page.locator(".job-card[data-status='succeeded']")
    expect(card).to_be_visible(timeout=30_000)
    compare = card.get_by_role("link", name="Compare with the original")
    # The previews are made on first request (a placeholder answers meanwhile).
    result = Asset.objects.get(parent=photo, operation="upscale.image")
    for asset in (photo, result):
        for _ in range(50):
            reply = page.request.get(asset.rendition_url("preview"))
            if reply.headers["content-type"].startswith("image/webp"):
                break
            page.wait_for_timeout(200)
    compare.click()
    page.wait_for_url(re.compile(r"/compare/\?mode=side$"))
    side = page.locator("[data-compare-side]")
    expect(side).to_be_visible()
    imgs = side.locator("[data-compare-pane] img")
    for img in imgs.all():
        expect(img).to_have_js_property("complete", True)
    # Fitted, the light previews are enough; the originals load once a zoom needs them.
    assert "/r/preview/" in imgs.nth(1).get_attribute("src")

    def transforms():
        return [i.evaluate("i => i.style.transform") for i in imgs.all()]

    fitted = transforms()
    assert fitted[0] == fitted[1] and "scale(" in fitted[0]
    page.get_by_role("button", name="Zoom in").click()
    zoomed = transforms()
    assert zoomed[0] == zoomed[1] != fitted[0]
    page.get_by_role("button", name="1:1", exact=True).click()
    expect(side.locator("[data-zoom-level]")).to_have_text("100%")
    expect(imgs.nth(1)).to_have_attribute("src", re.compile(r"/file/$"))
    expect(imgs.nth(1)).to_have_js_property("naturalWidth", 2048)
    one_to_one = transforms()
    assert one_to_one[0] == one_to_one[1] and one_to_one[0].endswith("scale(1)")
    # Dragging one side pans both.
    box = side.locator("[data-compare-pane]").first.bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 150)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 90, steps=4)
    page.mouse.up()
    panned = transforms()
    assert panned[0] == panned[1]
    assert panned[0] != one_to_one[0] and panned[0].endswith("scale(1)")
    # The loupe shows the picture under the pointer at one image pixel per screen pixel.
    page.get_by_role("button", name="Loupe 1:1").click()
    pane = side.locator("[data-compare-pane]").nth(1).bounding_box()
    page.mouse.move(pane["x"] + pane["width"] / 2, pane["y"] + pane["height"] / 2)
    loupe = side.locator("[data-compare-loupe]")
    expect(loupe).to_be_visible()
    assert loupe.evaluate("l => l.style.backgroundSize") == "2048px 1365px"
    assert "/file/" in loupe.evaluate("l => l.style.backgroundImage")
