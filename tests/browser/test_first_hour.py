"""A new creator's first hour, walked in a real browser: several uploads at once, controls
that stop at what the plan allows, bulk actions that wait for a selection, a focal point
the user sets, and Create's route and price before anything runs."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from assets.models import Asset
from tests.factories import UserFactory

from .helpers import photo_png, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

# Drops several files on the zone at once, the way a browser does for a desktop selection.
_DROP_FILES_JS = """
([selector, files]) => {
  const zone = document.querySelector(selector);
  const data = new DataTransfer();
  for (const [b64, name, type] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    data.items.add(new File([bytes], name, { type }));
  }
  const box = zone.getBoundingClientRect();
  const at = { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
  for (const kind of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: data, ...at }));
  }
}
"""


def _seed_billing():
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all

    # The live server's database is emptied between tests; the plans and prices come back.
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)


@pytest.fixture
def newcomer(studio):
    _seed_billing()
    return UserFactory(username="noor", email="noor@example.com")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_dropping_several_files_uploads_each_with_its_own_progress_and_error(
    page, studio, newcomer
):
    sign_in(page, newcomer, base_url=studio)
    page.goto("/library/")
    page.evaluate("window.__sameDocument = true")
    files = [
        [_b64(photo_png((640, 480))), "hills.png", "image/png"],
        [_b64(b"name,size\nhills,1200\n"), "notes.png", "image/png"],
        [_b64(photo_png((500, 500))), "square.png", "image/png"],
    ]
    page.evaluate(_DROP_FILES_JS, ["#upload-zone", files])

    rows = page.locator("#upload-zone .upload-item")
    expect(rows).to_have_count(3)
    good, bad, other = rows.nth(0), rows.nth(1), rows.nth(2)
    expect(good.locator(".upload-name")).to_have_text("hills.png")
    expect(good).to_have_attribute("data-state", "done")
    expect(other).to_have_attribute("data-state", "done")
    expect(bad).to_have_attribute("data-state", "failed")
    expect(bad.locator("[role=alert]")).to_have_text(
        "This file is not an image we can read. Upload a PNG, JPEG or WebP file."
    )
    assert good.locator("progress").evaluate("el => el.value") == 100
    expect(page.locator("#upload-zone [data-upload-summary]")).to_contain_text("2 of 3 uploaded")
    # The library refreshes in place with the two new images; the page never reloaded.
    expect(page.locator("#library-grid .asset-card")).to_have_count(2)
    assert page.evaluate("window.__sameDocument") is True
    assert sorted(Asset.objects.filter(owner=newcomer).values_list("title", flat=True)) == [
        "hills",
        "square",
    ]
    # Each finished row links to its image.
    href = good.get_by_role("link").get_attribute("href")
    assert href == Asset.objects.get(owner=newcomer, title="hills").get_absolute_url()


def test_the_file_picker_takes_several_images_and_one_opens_its_page(page, studio, newcomer):
    sign_in(page, newcomer, base_url=studio)
    page.goto("/")
    picker = page.locator("#upload-zone input[type=file]")
    assert picker.get_attribute("multiple") is not None
    picker.set_input_files(
        [
            {"name": "a.png", "mimeType": "image/png", "buffer": photo_png((300, 200))},
            {"name": "b.png", "mimeType": "image/png", "buffer": photo_png((200, 300))},
        ]
    )
    expect(page.locator("#upload-zone .upload-item[data-state=done]")).to_have_count(2)
    assert Asset.objects.filter(owner=newcomer).count() == 2

    # A single file that uploads fine opens its page, as it always did.
    picker.set_input_files(
        [{"name": "c.png", "mimeType": "image/png", "buffer": photo_png((320, 240))}]
    )
    asset_url = None
    page.wait_for_url("**/library/**")
    asset_url = Asset.objects.get(owner=newcomer, title="c").get_absolute_url()
    assert page.url == f"{studio}{asset_url}"


def _upload_for(user, name: str, size=(320, 240)) -> Asset:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assets.services import asset_create_from_upload

    upload = SimpleUploadedFile(name, photo_png(size))
    return asset_create_from_upload(owner=user, uploaded=upload, filename=upload.name)


def test_bulk_actions_wait_until_something_is_selected(page, studio, newcomer):
    from assets.services import assets_trash

    kept = _upload_for(newcomer, "kept.png")
    binned = _upload_for(newcomer, "binned.png", (240, 320))
    assets_trash(owner=newcomer, asset_ids=[binned.pk])
    sign_in(page, newcomer, base_url=studio)

    page.goto("/library/trash/")
    restore = page.locator("#bulk-form button[value=restore]")
    delete = page.locator("#bulk-form button[value=delete]")
    expect(restore).to_be_disabled()
    expect(delete).to_be_disabled()
    page.locator("input[data-select]").first.check()
    expect(restore).to_be_enabled()
    expect(delete).to_be_enabled()
    page.locator("input[data-select]").first.uncheck()
    expect(restore).to_be_disabled()
    page.locator("[data-select-all]").check()
    expect(restore).to_be_enabled()
    restore.click()
    # Restored: the trash empties in place and the buttons wait again.
    expect(page.locator("#library-grid .asset-card")).to_have_count(0)
    expect(restore).to_be_disabled()
    binned.refresh_from_db()
    assert binned.trashed_at is None

    page.goto("/library/")
    buttons = page.locator("#bulk-form button[type=submit]")
    assert buttons.count() >= 4
    for i in range(buttons.count()):
        expect(buttons.nth(i)).to_be_disabled()
    page.locator(
        f"[data-asset='{kept.public_id}'] input[data-select], input[data-select][value='{kept.public_id}']"
    ).first.check()
    for i in range(buttons.count()):
        expect(buttons.nth(i)).to_be_enabled()


def test_a_feature_this_server_lacks_is_explained_and_only_staff_see_the_command(
    page, studio, newcomer, monkeypatch
):
    from providers.local import upscale

    monkeypatch.setattr(upscale, "hq_available", lambda: False)
    photo = _upload_for(newcomer, "small.png", (200, 160))
    sign_in(page, newcomer, base_url=studio)
    page.goto(f"/assets/{photo.public_id}/run/upscale.hq/")
    button = page.locator("#cost-button button")
    expect(button).to_be_disabled()
    expect(page.locator("#cost-button-reason")).to_contain_text(
        "High-quality upscaling is not installed on this server."
    )
    assert "pip install" not in page.content()

    staff = UserFactory(username="ops", email="ops@example.com", is_staff=True)
    mine = _upload_for(staff, "ops.png", (200, 160))
    page.context.clear_cookies()
    sign_in(page, staff, base_url=studio)
    page.goto(f"/assets/{mine.public_id}/run/upscale.hq/")
    expect(page.locator("#cost-button [data-staff-only] code")).to_have_text(
        "pip install 'imagestudio[hq]'"
    )
