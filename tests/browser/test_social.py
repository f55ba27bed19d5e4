"""Social Optimizer in a real browser: previews, safe zones, the focal point and the export."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from assets.services import asset_create_from_upload
from studio.jobs.models import Job
from tests.factories import UserFactory

from .helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

# Where the subject sits in the picture, as fractions of its width and height.
SUBJECT = (0.75, 0.35)

# Every preview image's CSS box inside its tile, keyed by the tile's format.
_PREVIEW_POSITIONS_JS = """
() => Object.fromEntries(
  [...document.querySelectorAll("#social-previews .tile")].map((tile) => {
    const img = tile.querySelector(".tile-frame img");
    return [tile.dataset.format, [img.style.left, img.style.top, img.style.width, img.style.height]];
  })
)
"""


def subject_png(size: tuple[int, int] = (1200, 800)) -> bytes:
    """A calm backdrop with one bright red ball up and to the right of the centre."""
    width, height = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(150 + 40 * t), int(165 + 30 * t), 180))
    draw.rectangle((0, int(height * 0.8), width, height), fill=(120, 130, 120))
    cx, cy, r = SUBJECT[0] * width, SUBJECT[1] * height, height // 9
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(220, 30, 40))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def photo(studio):
    """Alice and one uploaded picture of hers, with no focal point stored yet."""
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all

    # The live server's database is emptied between tests; the plans and prices come back.
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username="alice")
    upload = SimpleUploadedFile("red-ball.png", subject_png())
    asset = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    assert not (asset.focal_point or {}).get("x")
    return asset


def _focal(page) -> tuple[float, float]:
    return (
        float(page.locator("#op-form input[name=focal_x]").input_value()),
        float(page.locator("#op-form input[name=focal_y]").input_value()),
    )


def test_previews_focal_point_and_export_without_a_reload(page, studio, photo):
    sign_in(page, photo.owner, base_url=studio)
    page.goto(f"/social/{photo.public_id}/")
    expect(page.locator("h1")).to_have_text("Optimise for social")
    page.evaluate("window.__sameDocument = true")

    # With no focal point stored, the page asks for one as it loads, and adopts the answer.
    detect = page.locator("#job-area .job-card", has_text="Find the subject")
    # Detection runs the offline cut-out model: allow for a slow, busy machine.
    expect(detect).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(page.locator("#focal-status")).to_have_text("Subject detected.")
    fx, fy = _focal(page)
    assert abs(fx - SUBJECT[0]) < 0.1 and abs(fy - SUBJECT[1]) < 0.1, (fx, fy)
    assert page.locator("#op-form input[name=focal_source]").input_value() == "auto"

    previews = page.locator("#social-previews")
    tiles = previews.locator(".tile")
    defaults = page.locator("#op-form input[name=formats]:checked").count()
    assert defaults > 0
    expect(tiles).to_have_count(defaults)

    # An extra format: its preview appears, with the safe zone drawn over it.
    page.get_by_label("Feed post (portrait) · 1080×1350").check()
    portrait = previews.locator(".tile[data-format=instagram-portrait]")
    expect(portrait).to_have_count(1)
    expect(tiles).to_have_count(defaults + 1)
    expect(portrait.locator(".tile-frame img")).to_have_attribute(
        "alt", "Instagram Feed post (portrait) preview"
    )
    zone = portrait.locator(".safe-zone")
    expect(zone).to_be_visible()
    box, frame = zone.bounding_box(), portrait.locator(".tile-frame").bounding_box()
    # Instagram portrait keeps 20 % free at the top and bottom, 10 % at the sides.
    assert abs((box["y"] - frame["y"]) / frame["height"] - 0.2) < 0.03, (box, frame)
    assert abs((box["x"] - frame["x"]) / frame["width"] - 0.1) < 0.03, (box, frame)
    zones = previews.locator(".safe-zone")
    expect(zones).to_have_count(defaults + 1)

    safe = page.get_by_label("Show safe zones")
    safe.uncheck()
    for i in range(defaults + 1):
        expect(zones.nth(i)).to_be_hidden()
    safe.check()
    expect(zone).to_be_visible()

    # Drag the marker: first inside the picture, then past its left edge.
    before = page.evaluate(_PREVIEW_POSITIONS_JS)
    stage = page.locator("#focal-stage").bounding_box()
    marker = page.locator("#focal-marker").bounding_box()
    page.mouse.move(marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] * 0.3, stage["y"] + stage["height"] * 0.7, steps=5)
    fx, fy = _focal(page)
    assert abs(fx - 0.3) < 0.02 and abs(fy - 0.7) < 0.02, (fx, fy)  # follows while dragging
    page.mouse.move(stage["x"] - 30, stage["y"] + stage["height"] * 0.8, steps=5)
    page.mouse.up()

    fx, fy = _focal(page)
    assert fx == 0 and abs(fy - 0.8) < 0.02, (fx, fy)
    assert page.locator("#op-form input[name=focal_source]").input_value() == "user"
    marker_style = page.locator("#focal-marker").evaluate("m => [m.style.left, m.style.top]")
    assert marker_style[0] == "0%", marker_style
    assert abs(float(marker_style[1].rstrip("%")) - fy * 100) < 0.01, marker_style
    after = page.evaluate(_PREVIEW_POSITIONS_JS)
    assert set(after) == set(before)
    for key in before:
        assert after[key][:2] != before[key][:2], f"{key} preview did not follow: {after[key]}"
    # Tall formats now show the picture's left edge.
    assert float(after["instagram-story"][0].rstrip("%")) == 0, after["instagram-story"]

    # Export: the pack's card lists every rendition and offers them all as one ZIP.
    page.locator("#op-form .cost-button").click()
    pack = page.locator("#job-area .job-card", has_text="Social pack")
    expect(pack).to_have_attribute("data-status", "succeeded", timeout=20_000)
    renditions = pack.locator(".rendition-list .rendition")
    expect(renditions).to_have_count(defaults + 1)
    expect(pack.locator(".rendition[data-format=instagram-portrait]")).to_have_count(1)
    download = pack.get_by_role("link", name=f"Download all ({defaults + 1} files, ZIP)")
    expect(download).to_be_visible()

    href = download.get_attribute("href")
    status, content_type, head = page.evaluate(
        """async (href) => {
          const response = await fetch(href, { credentials: "same-origin" });
          const bytes = new Uint8Array(await response.arrayBuffer());
          return [response.status, response.headers.get("content-type"), [...bytes.slice(0, 4)]];
        }""",
        href,
    )
    assert status == 200
    assert content_type == "application/zip"
    assert bytes(head) == b"PK\x03\x04"

    assert page.url == f"{studio}/social/{photo.public_id}/"
    assert page.evaluate("window.__sameDocument") is True
    job = Job.objects.get(operation="social.pack")
    assert job.status == Job.Status.SUCCEEDED, job.error
    # The point placed by hand is kept on the picture for its next pack.
    photo.refresh_from_db()
    assert photo.focal_point["source"] == "user" and photo.focal_point["x"] == 0, photo.focal_point

    # Coming back later: the placed point is used as is, nothing is detected again.
    html = page.request.get(f"/social/{photo.public_id}/").text()
    assert 'id="focal-marker"' in html
    marker_html = html[html.index('id="focal-marker"') :].split(">", 1)[0]
    assert "left: 0%" in marker_html, marker_html  # placed where stored, before any script runs
    page.goto(f"/social/{photo.public_id}/")
    expect(page.locator("#focal-status")).to_have_text("Set by you.")
    assert page.locator("#job-area").get_attribute("hx-trigger") is None
    assert _focal(page)[0] == 0
    expect(page.locator("#focal-marker")).to_have_attribute("style", re.compile(r"left: 0%"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#job-area .job-card", has_text="Find the subject")).to_have_count(0)
