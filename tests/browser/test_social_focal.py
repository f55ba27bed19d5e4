"""Social in a real browser: a focal point set by hand says so and can go back to the
detected one, and a face sliced by a very wide crop is flagged, never "meets the rules"."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.services import asset_create_from_upload, asset_update_analysis
from tests.factories import UserFactory

from .helpers import photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

DETECTED = (0.5, 0.32)
FACE = {"x": 0.35, "y": 0.18, "w": 0.3, "h": 0.28}


@pytest.fixture
def portrait(studio):
    """A portrait-shaped picture whose face was detected earlier (stored on the image)."""
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all

    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username="amara")
    upload = SimpleUploadedFile("portrait.png", photo_png((800, 1200)))
    asset = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    asset_update_analysis(
        asset=asset,
        focal_point={
            "x": DETECTED[0],
            "y": DETECTED[1],
            "faces": [FACE],
            "method": "faces",
            "text": [],
            "source": "auto",
        },
    )
    return asset


def _focal(page) -> tuple[float, float, str]:
    form = page.locator("#op-form")
    return (
        float(form.locator("input[name=focal_x]").input_value()),
        float(form.locator("input[name=focal_y]").input_value()),
        form.locator("input[name=focal_source]").input_value(),
    )


def test_dragging_says_set_by_you_and_back_to_detected_returns(page, studio, portrait):
    sign_in(page, portrait.owner, base_url=studio)
    page.goto(f"/social/{portrait.public_id}/")
    status, reset = page.locator("#focal-status"), page.locator("#focal-reset")
    expect(status).to_have_text("Detected (faces).")
    expect(reset).to_be_hidden()

    stage = page.locator("#focal-stage").bounding_box()
    marker = page.locator("#focal-marker").bounding_box()
    page.mouse.move(marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] * 0.2, stage["y"] + stage["height"] * 0.8, steps=4)
    page.mouse.up()
    expect(status).to_have_text("Set by you.")
    expect(reset).to_be_visible()
    fx, fy, source = _focal(page)
    assert abs(fx - 0.2) < 0.03 and abs(fy - 0.8) < 0.03 and source == "user"

    reset.click()
    expect(status).to_have_text("Detected (faces).")
    expect(reset).to_be_hidden()
    fx, fy, source = _focal(page)
    assert (round(fx, 2), round(fy, 2), source) == (DETECTED[0], DETECTED[1], "auto")

    # Keyboard moves count as setting it by hand too.
    page.locator("#focal-marker").press("ArrowRight")
    expect(status).to_have_text("Set by you.")


def test_a_face_sliced_by_the_linkedin_cover_is_flagged(page, studio, portrait):
    sign_in(page, portrait.owner, base_url=studio)
    page.goto(f"/social/{portrait.public_id}/")
    page.evaluate("document.querySelectorAll('.format-picker details').forEach(d => d.open = true)")
    boxes = page.locator("#op-form input[name=formats]")
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    page.locator("#op-form input[name=formats][value=linkedin-cover]").check()
    page.locator("#op-form input[name=formats][value=instagram-square]").check()
    page.locator("#op-form .cost-button").click()

    pack = page.locator("#job-area .job-card", has_text="Social pack")
    expect(pack).to_have_attribute("data-status", "succeeded", timeout=20_000)
    cover = pack.locator(".rendition[data-format=linkedin-cover]")
    expect(cover.locator(".flag", has_text="A face is cut off by the crop")).to_have_count(1)
    expect(cover.locator(".ok")).to_have_count(0)
    square = pack.locator(".rendition[data-format=instagram-square]")
    expect(square.locator(".ok")).to_have_text("✓ Meets the platform's rules")


def test_a_bad_focal_point_shows_as_a_field_error(page, studio, portrait):
    sign_in(page, portrait.owner, base_url=studio)
    page.goto(f"/social/{portrait.public_id}/")
    page.evaluate("document.querySelector('#op-form input[name=focal_x]').value = '3.5'")
    page.locator("#op-form .cost-button").click()
    error = page.locator("#op-form [data-field=focal] [role=alert]")
    expect(error).to_have_text(
        "The focal point must be on the picture. Drag the marker onto the image (or click "
        "it), then export again."
    )
    expect(page.locator("#job-area .job-card", has_text="Social pack")).to_have_count(0)
