"""A new user's first minutes, in a real browser: sign up, drop an image, resize it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from assets.models import Asset
from studio.jobs.models import Job
from tests.utils import read_field

from .helpers import drop_file, photo_png

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

# The README shows this picture; UPDATE_SCREENSHOT=1 refreshes it from the test below.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"

# Records every data-status the job card in #job-area takes, across htmx's swaps.
_WATCH_JOB_CARD_JS = """
() => {
  window.__cardStatuses = [];
  const area = document.querySelector("#job-area");
  const note = () => {
    const card = area.querySelector(".job-card");
    const seen = window.__cardStatuses;
    if (card && seen[seen.length - 1] !== card.dataset.status) seen.push(card.dataset.status);
  };
  new MutationObserver(note).observe(area, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"],
  });
}
"""


def test_sign_up_drop_an_image_and_resize_it_without_a_reload(page, studio, tmp_path):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "maya@example.com")
    page.fill("input[name=password1]", "a-long-pass-123")
    page.fill("input[name=password2]", "a-long-pass-123")
    page.locator("form:has(input[name=password2]) [type=submit]").click()
    page.wait_for_url(f"{studio}/")
    expect(page.get_by_role("heading", name="Studio", exact=True)).to_be_visible()

    drop_file(
        page, ".upload-zone", photo_png((1200, 600)), name="hills.png", content_type="image/png"
    )
    page.wait_for_url(re.compile(r"/library/[0-9a-f-]{36}/$"))
    asset_url = page.url
    expect(page.locator("h1")).to_have_text("hills")
    expect(page.locator("figure.preview img")).to_have_js_property("naturalWidth", 1200)

    # Anything from here on must happen in this document: a reload would drop both.
    page.evaluate("window.__sameDocument = true")
    page.evaluate(_WATCH_JOB_CARD_JS)

    page.get_by_role("link", name="Resize", exact=True).click()
    form = page.locator("#tool-panel #op-form")
    expect(form).to_be_visible()
    width = form.get_by_label("Width (px)")
    expect(width).to_have_value("600")  # half the original's width, prefilled
    width.fill("300")
    form.get_by_role("button", name=re.compile(r"^Resize")).click()

    card = page.locator("#job-area .job-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "succeeded")
    expect(card.locator(".progress")).to_have_count(0)
    assert card.get_attribute("hx-trigger") is None, "a finished card must stop polling"
    result = card.locator(".job-results .asset-card").first
    result.scroll_into_view_if_needed()
    thumb = result.locator("img")
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    # The card shows a grid tile; the output itself is loaded from its file URL, in this page
    # and session, to check it has the requested size.
    output_id = result.get_attribute("data-asset")
    natural = page.evaluate(
        """(src) => new Promise((resolve, reject) => {
          const img = new Image();
          img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
          img.onerror = () => reject(new Error("could not load " + src));
          img.src = src;
        })""",
        f"/library/{output_id}/file/",
    )
    assert natural == [300, 150]

    assert page.url == asset_url
    assert page.evaluate("window.__sameDocument") is True
    statuses = page.evaluate("window.__cardStatuses")
    assert statuses[0] in ("queued", "running") and statuses[-1] == "succeeded", statuses

    # What the browser showed is what the pipeline stored, in the storage the test set up.
    job = Job.objects.get(owner__email="maya@example.com")
    assert (job.status, job.progress) == (Job.Status.SUCCEEDED, 100)
    output = job.outputs.get()
    assert str(output.public_id) == output_id
    assert (output.width, output.height) == (300, 150)
    assert output.parent == Asset.objects.get(title="hills")
    assert len(read_field(output.file)) == output.file_size
    assert any((tmp_path / "media").rglob(Path(output.file.name).name))

    for close in page.locator(".toast-close").all():  # the upload's toast would cover the details
        close.click()
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "asset-page.png"
    page.screenshot(path=str(shot))
    with Image.open(shot) as img:
        assert img.size == (1440, 900)
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)
