"""The Edit page's mask editor in a real browser: painting through zoom and pan lands on the
image's native pixels, undo/redo/invert, touch, and the cost following the chosen model."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from assets.services import asset_create_from_upload
from studio.jobs import services as job_services
from studio.jobs.models import Job
from tests.factories import UserFactory

from .helpers import photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def alice(studio):
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all
    from billing.services import credits_add, plan_change

    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username="alice")
    plan_change(user=user, plan=Plan.objects.get(slug="pro"))
    credits_add(user=user, amount=5000, kind="purchase", reason="test credits")
    return user


@pytest.fixture
def queued_only(monkeypatch):
    """Jobs are created (with their mask) but not run: these tests look at what was sent."""
    monkeypatch.setattr(
        job_services._job_run_task, "apply_async_on_commit", lambda *args, **kwargs: None
    )


def _upload(user, data: bytes, name: str):
    return asset_create_from_upload(
        owner=user, uploaded=SimpleUploadedFile(name, data), filename=name, size=len(data)
    )


def _big_png(width: int, height: int) -> bytes:
    """A large, smooth picture (cheap to encode)."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _open_editor(page, asset, op: str) -> None:
    page.goto(f"/edit/{asset.public_id}/?op={op}")
    page.wait_for_function("window.maskEditor && window.maskEditor.ready", timeout=30_000)


def _stage_centre(page) -> tuple[float, float, dict]:
    box = page.locator("[data-view]").bounding_box()
    sw = round(box["width"])
    sh = round(box["height"])
    return box["x"] + sw / 2, box["y"] + sh / 2, box


def _set_zoom(page, percent: int) -> None:
    field = page.locator("[data-zoom-input]")
    field.fill(str(percent))
    field.press("Enter")
    page.wait_for_function(f"Math.round(window.maskEditor.zoom * 100) === {percent}")


def _alpha(page, x: float, y: float) -> int:
    return page.evaluate(
        "([x, y]) => window.maskEditor.mctx.getImageData(x, y, 1, 1).data[3]", [x, y]
    )


def _drag(page, start, end, steps: int = 12) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def test_a_stroke_at_200_percent_after_panning_lands_on_the_native_pixels(
    page, studio, alice, queued_only
):
    width, height = 6000, 4000  # far larger than the 1440×900 window
    asset = _upload(alice, _big_png(width, height), "wide.png")
    sign_in(page, alice, base_url=studio)
    _open_editor(page, asset, "edit.erase")
    page.locator("[data-hardness]").fill("100")
    page.locator("[data-size]").fill("20")  # 20 screen px = 10 native px across at 200 %
    page.locator('[data-zoom="fit"]').click()
    _set_zoom(page, 200)
    page.locator("[data-stage]").focus()  # (focusing may scroll the page: measure after)
    cx, cy, _ = _stage_centre(page)
    # Pan with space-drag: the picture moves by (dx, dy) screen pixels.
    dx, dy = -300, 140
    page.mouse.move(cx, cy)
    page.keyboard.down("Space")
    _drag(page, (cx, cy), (cx + dx, cy + dy))
    page.keyboard.up("Space")
    # The native point under the stage's centre is now the image centre minus the pan / 2.
    ix, iy = width / 2 - dx / 2, height / 2 - dy / 2
    # Paint a horizontal stroke 200 screen px long, 60 px below the centre.
    _drag(page, (cx - 100, cy + 60), (cx + 100, cy + 60), steps=25)
    expect(page.locator('[data-action="undo"]')).to_be_enabled()
    page.locator("#op-form button.cost-button").click()
    # The job card appears once the job exists (the page sends the mask first).
    expect(page.locator("#job-area .job-card")).to_be_visible(timeout=30_000)
    job = Job.objects.get()

    stored = job.files.get(role="mask")
    with stored.file.open("rb") as fh:
        mask = np.asarray(Image.open(fh).convert("L"))
    assert mask.shape == (height, width)
    ys, xs = np.nonzero(mask >= 128)
    assert len(xs) > 0
    expected = {
        "left": ix - 50 - 5,
        "right": ix + 50 + 5,
        "top": iy + 30 - 5,
        "bottom": iy + 30 + 5,
    }
    found = {"left": xs.min(), "right": xs.max() + 1, "top": ys.min(), "bottom": ys.max() + 1}
    for side, value in expected.items():
        assert abs(found[side] - value) <= 2, (side, found, expected)
    assert job.inputs.count() == 1  # the mask is the job's file, not a library image


def test_undo_redo_and_invert_change_the_mask(page, studio, alice):
    asset = _upload(alice, photo_png((1200, 800)), "hills.png")
    sign_in(page, alice, base_url=studio)
    _open_editor(page, asset, "edit.inpaint")
    page.locator("[data-hardness]").fill("100")
    page.locator('[data-zoom="actual"]').click()  # 100 %: one screen px per native px
    cx, cy, _ = _stage_centre(page)
    # At 100 % around the centre, the stage centre shows the image centre (600, 400).
    _drag(page, (cx - 80, cy), (cx + 80, cy))
    assert _alpha(page, 600, 400) == 255
    assert _alpha(page, 600, 300) == 0
    page.keyboard.press("Control+z")
    assert _alpha(page, 600, 400) == 0
    page.keyboard.press("Control+Shift+z")
    assert _alpha(page, 600, 400) == 255
    page.keyboard.press("i")
    assert _alpha(page, 600, 400) == 0 and _alpha(page, 600, 300) == 255
    page.locator('[data-action="undo"]').click()
    assert _alpha(page, 600, 400) == 255 and _alpha(page, 600, 300) == 0
    # Eraser (E) removes paint; the rectangle tool fills.
    page.keyboard.press("e")
    _drag(page, (cx - 20, cy), (cx + 20, cy))
    assert _alpha(page, 600, 400) == 0
    page.keyboard.press("r")
    _drag(page, (cx - 200, cy - 150), (cx - 100, cy - 100))
    assert _alpha(page, 450, 270) == 255
    # Sixty steps back are all undoable (at least 50 are kept).
    page.keyboard.press("b")
    for i in range(60):
        page.mouse.click(cx + 200, cy - 200 + i * 3)
    for _ in range(60):
        page.keyboard.press("Control+z")
    assert _alpha(page, 800, 200) == 0
    assert page.evaluate("window.maskEditor.index") >= 3
    page.keyboard.press("Control+Shift+z")
    assert _alpha(page, 800, 200) == 255
    page.locator('[data-zoom="fit"]').click()
    if os.environ.get("EDIT_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        page.locator(".workspace").screenshot(path=str(DOCS / "edit-mask-editor.png"))


def test_touch_paints_and_two_fingers_zoom(browser, studio, alice):
    from .conftest import DESKTOP

    context = browser.new_context(viewport=DESKTOP, base_url=studio, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        asset = _upload(alice, photo_png((1200, 800)), "hills.png")
        sign_in(page, alice, base_url=studio)
        _open_editor(page, asset, "edit.erase")
        page.locator("[data-hardness]").fill("100")
        page.locator('[data-zoom="actual"]').click()
        cx, cy, _ = _stage_centre(page)
        cdp = context.new_cdp_session(page)

        def touch(kind, points):
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]},
            )

        touch("touchStart", [(cx - 60, cy)])
        for step in range(1, 13):
            touch("touchMove", [(cx - 60 + step * 10, cy)])
        touch("touchEnd", [])
        page.wait_for_function("window.maskEditor.index === 1")
        assert _alpha(page, 600, 400) == 255
        # Two fingers moving apart zoom in and paint nothing.
        zoom = page.evaluate("window.maskEditor.zoom")
        touch("touchStart", [(cx - 50, cy - 200), (cx + 50, cy - 200)])
        for step in range(1, 8):
            touch("touchMove", [(cx - 50 - step * 15, cy - 200), (cx + 50 + step * 15, cy - 200)])
        touch("touchEnd", [])
        assert page.evaluate("window.maskEditor.zoom") > zoom * 1.5
        assert page.evaluate("window.maskEditor.index") == 1
    finally:
        context.close()
    assert not errors, errors


def test_the_cost_on_the_button_follows_the_model(page, studio, alice, providers):
    providers("stability", "openai")
    asset = _upload(alice, photo_png((1024, 1024)), "square.png")
    sign_in(page, alice, base_url=studio)
    _open_editor(page, asset, "edit.inpaint")
    button = page.locator("#op-form button.cost-button")
    page.locator("#op-form [name=prompt]").fill("a red kite in the sky")
    page.locator("#op-form select[name=engine]").select_option("stability:inpaint")
    expect(button).to_have_text(re.compile(r"Inpaint · 5 credits"))
    # Stability's style preset shows for it; OpenAI's quality does not.
    expect(page.locator('#op-form [data-field="style_preset"]')).to_be_visible()
    expect(page.locator('#op-form [data-field="quality"]')).to_be_hidden()
    page.locator("#op-form select[name=engine]").select_option("openai:gpt-image-1")
    expect(button).to_have_text(re.compile(r"Inpaint · 25 credits"))
    page.locator("#op-form select[name=quality]").select_option("low")
    expect(button).to_have_text(re.compile(r"Inpaint · 2 credits"))
    expect(page.locator('#op-form [data-field="style_preset"]')).to_be_hidden()
