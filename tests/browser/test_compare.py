"""The library's before/after compare view in a real browser: the wipe and side by side."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assets.services import asset_create_from_upload
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.services import job_create
from tests.factories import UserFactory

from .helpers import photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

# Where the wipe is drawn: the split custom property, the handle's offset (as a share of the
# stage), the clip on the "before" layer, and which picture is on top a little left and a
# little right of the split.
_WIPE_JS = """
(stage) => {
  const box = stage.getBoundingClientRect();
  const before = stage.querySelector(".compare-before");
  const handle = stage.querySelector(".compare-handle").getBoundingClientRect();
  const clip = getComputedStyle(before).clipPath;
  const split = parseFloat(stage.style.getPropertyValue("--split"));
  const topAt = (share) => {
    const el = document.elementFromPoint(box.left + box.width * share, box.top + box.height / 2);
    return el && el.closest(".compare-before") ? "before" : el && el.matches(".compare-after") ? "after" : String(el && el.className);
  };
  return {
    split,
    handle: ((handle.left + handle.width / 2 - box.left) / box.width) * 100,
    clip,
    left: split > 3 ? topAt((split - 3) / 100) : null,
    right: split < 97 ? topAt((split + 3) / 100) : null,
  };
}
"""


@pytest.fixture
def edited(studio):
    """An upload and a resized copy of it, made by the pipeline: the copy's parent is the upload."""
    user = UserFactory(username="alice")
    upload = SimpleUploadedFile("hills.png", photo_png((960, 640)))
    original = asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)
    job = job_create(
        user=user,
        operation=get_operation("tools.resize"),
        cleaned={"width": 480, "height": None, "mode": "fit"},
        inputs=[original],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error  # ran eagerly on commit
    child = job.outputs.get()
    assert child.parent_id == original.pk
    return child


def _wipe(page):
    return page.locator("[data-compare-stage]").evaluate(_WIPE_JS)


def _assert_split(state, value):
    assert state["split"] == value, state
    assert abs(state["handle"] - value) < 1, state
    assert state["clip"].replace(" ", "") == f"inset(0pxcalc({100 - value}%)0px0px)" or (
        state["clip"].replace(" ", "") == f"inset(0px{100 - value}%0px0px)"
    ), state
    if state["left"] is not None:
        assert state["left"] == "before", state
    if state["right"] is not None:
        assert state["right"] == "after", state


def _open_compare(page, studio, edited):
    """Open the compare view the way a user does: from the edited picture's page."""
    sign_in(page, edited.owner, base_url=studio)
    page.goto(f"/library/{edited.public_id}/")
    page.get_by_role("link", name="Compare with parent").click()
    page.wait_for_url(f"{studio}/library/{edited.public_id}/compare/")
    expect(page.locator("h1")).to_have_text("Compare with parent")
    stage = page.locator("[data-compare-stage]")
    for img in stage.locator("img").all():
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("img => img.naturalWidth") > 0
    slider = page.get_by_role("slider", name="Wipe position")
    expect(slider).to_have_value("50")
    _assert_split(_wipe(page), 50)
    return stage, slider


def test_the_wipe_follows_the_keyboard(page, studio, edited):
    _, slider = _open_compare(page, studio, edited)

    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    expect(slider).to_have_value("55")
    expect(slider).to_have_attribute("aria-valuetext", "55% before")
    _assert_split(_wipe(page), 55)
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    expect(slider).to_have_value("53")
    _assert_split(_wipe(page), 53)
    slider.press("Home")
    expect(slider).to_have_value("0")
    _assert_split(_wipe(page), 0)
    slider.press("End")
    expect(slider).to_have_value("100")
    expect(slider).to_have_attribute("aria-valuetext", "100% before")
    _assert_split(_wipe(page), 100)


def test_the_wipe_follows_a_mouse_drag_on_the_picture(page, studio, edited):
    stage, slider = _open_compare(page, studio, edited)

    # Pressing on the picture moves the wipe there; dragging carries it along.
    box = stage.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    expect(slider).to_have_value("25")
    _assert_split(_wipe(page), 25)
    page.mouse.move(box["x"] + box["width"] * 0.8, y, steps=4)
    expect(slider).to_have_value("80")
    page.mouse.up()
    _assert_split(_wipe(page), 80)
    page.mouse.move(box["x"] + box["width"] * 0.1, y)  # no button held: nothing moves
    expect(slider).to_have_value("80")
    _assert_split(_wipe(page), 80)


def test_side_by_side_shows_both_pictures_instead_of_the_wipe(page, studio, edited):
    stage, slider = _open_compare(page, studio, edited)
    side = page.locator("[data-compare-side]")
    wipe_mode = page.get_by_role("button", name="Wipe")
    side_mode = page.get_by_role("button", name="Side by side")
    expect(wipe_mode).to_have_attribute("aria-pressed", "true")
    expect(stage).to_be_visible()
    expect(side).to_be_hidden()  # the wipe is the only view at first

    side_mode.click()
    expect(side_mode).to_have_attribute("aria-pressed", "true")
    expect(wipe_mode).to_have_attribute("aria-pressed", "false")
    expect(side).to_be_visible()
    expect(stage).to_be_hidden()
    expect(slider).to_be_hidden()
    figures = side.locator("figure")
    expect(figures).to_have_count(2)
    expect(figures.locator("figcaption")).to_have_text(["Before", "After"])
    for img, label in zip(figures.locator("img").all(), ["Before", "After"], strict=True):
        expect(img).to_have_attribute("alt", re.compile(rf"^{label}: "))
        expect(img).to_be_visible()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("img => img.naturalWidth") > 0
    left, right = (f.bounding_box() for f in figures.all())
    assert left["x"] + left["width"] <= right["x"], (left, right)  # next to each other

    wipe_mode.click()
    expect(stage).to_be_visible()
    expect(slider).to_be_visible()
    expect(side).to_be_hidden()
    _assert_split(_wipe(page), 50)
