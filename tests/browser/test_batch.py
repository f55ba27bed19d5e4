"""Batch Processor in a real browser: upload a CSV, read the dry run, approve a subset,
watch the progress reach 100 %."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.utils import image_bytes

from .helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


@pytest.fixture
def product_images(settings):
    """A loopback server with two product photos (the fetcher may reach it in tests)."""
    settings.BATCH_FETCH_ALLOW_LOOPBACK = True
    files = {
        "/mug.png": image_bytes("PNG", (320, 240), color=(200, 60, 40)),
        "/cup.jpg": image_bytes("JPEG", (300, 300), color=(40, 120, 200)),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def shopper(studio, settings, tmp_path):
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all
    from billing.services import credits_add, plan_change
    from studio.batch.limits import reset_limiter

    settings.BATCH_LIMITER_URL = ""
    settings.BATCH_LIMITER_FILE = str(tmp_path / "limits.json")
    reset_limiter()
    # The live server's database is emptied between tests; the plans and prices come back.
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    PriceRule.objects.update_or_create(
        operation="tools.convert",
        provider="local",
        model="",
        tier="",
        defaults={"credits_per_unit": 2},
    )
    user = UserFactory(username="shop", email="shop@example.com")
    plan_change(user=user, plan=Plan.objects.get(slug="creator"))
    credits_add(user=user, amount=100, kind="adjustment", reason="test")
    yield user
    reset_limiter()


def test_upload_dry_run_approve_a_subset_and_watch_it_finish(page, studio, shopper, product_images):
    base = product_images
    csv = (
        "sku;image_url;operation;format;quality\n"
        f"MUG-001;{base}/mug.png;tools.convert;webp;82\n"
        f"CUP-002;{base}/cup.jpg;tools.convert;webp;82\n"
        f"MUG-003;{base}/mug.png;tools.convert;png;\n"
        f"BAD-004;not-a-url;tools.convert;webp;82\n"
        f'"=HYPERLINK(""http://x"")";{base}/cup.jpg;tools.convert;jpeg;500\n'
    ).encode()
    sign_in(page, shopper, base_url=studio)
    page.goto("/batch/")
    expect(page.get_by_role("heading", name="Batch Processor")).to_be_visible()
    page.set_input_files(
        "#id_csv_file", files=[{"name": "products.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name="Check rows and costs").click()

    table = page.locator("#dry-run-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(page.locator("[data-valid]")).to_have_text("3")
    expect(page.locator("[data-invalid]")).to_have_text("2")
    expect(page.locator("[data-total]")).to_have_text("6 credits")
    expect(table.locator('tr[data-row="4"]')).to_contain_text("Bad URL")
    expect(table.locator('tr[data-row="5"]')).to_contain_text("quality")
    if os.environ.get("BATCH_SCREENSHOT_DIR"):
        page.screenshot(
            path=str(Path(os.environ["BATCH_SCREENSHOT_DIR"]) / "batch-dry-run.png"), full_page=True
        )

    # Approve rows 1 and 3 only: ticking a row switches the scope to the ticked rows.
    table.get_by_label("Run row 1").check()
    table.get_by_label("Run row 3").check()
    expect(page.locator("#approve-form input[name=scope][value=chosen]")).to_be_checked()
    page.get_by_role("button", name="Approve and hold credits").click()

    progress = page.locator("#batch-progress")
    expect(progress).to_be_visible()
    expect(progress.locator("[data-percent]")).to_have_text("100 %", timeout=30_000)
    expect(progress).to_have_attribute("data-status", "finished")
    expect(progress.locator('tr[data-row="1"]')).to_have_attribute("data-status", "succeeded")
    expect(progress.locator('tr[data-row="3"]')).to_have_attribute("data-status", "succeeded")
    expect(progress.locator('tr[data-row="2"]')).to_have_attribute("data-status", "skipped")
    expect(progress.locator('tr[data-row="1"] img.thumb')).to_be_visible()
    expect(progress.get_by_role("link", name="Download ZIP")).to_be_visible()
    expect(progress.get_by_role("link", name="Report (CSV)")).to_be_visible()
    expect(progress).to_contain_text("4 credits charged")
    if os.environ.get("BATCH_SCREENSHOT_DIR"):
        page.screenshot(
            path=str(Path(os.environ["BATCH_SCREENSHOT_DIR"]) / "batch-progress.png"),
            full_page=True,
        )
