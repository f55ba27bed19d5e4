"""Batch pages: owner, another user (404), anonymous; CSV upload, dry run, approval."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.batch import services
from studio.batch.models import Batch
from tests.conftest import HTMX
from tests.utils import image_bytes

pytestmark = pytest.mark.django_db

CSV = b"sku,image_url,operation,format,quality\nA1,https://a.test/a.png,tools.convert,webp,80\nA2,nope,tools.convert,webp,80\n"


def _upload(client, data=CSV, **extra):
    return client.post(
        "/batch/",
        {"csv_file": SimpleUploadedFile("items.csv", data, "text/csv"), **extra},
    )


def test_the_page_lists_templates_and_the_navigation_links_it(alice_client):
    page = alice_client.get("/batch/").content.decode()
    assert 'href="/batch/template/prompts.csv"' in page
    assert 'href="/batch/template/products.csv"' in page
    assert 'data-module="batch"' in page


def test_template_downloads_are_csv(alice_client):
    response = alice_client.get("/batch/template/products.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("sku,image_url,operation")
    assert alice_client.get("/batch/template/other.csv").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client):
    assert client.get("/batch/").status_code == 302


def test_uploading_a_csv_shows_the_dry_run(business, alice_client, priced):
    response = _upload(alice_client)
    batch = Batch.objects.get(owner=business)
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    page = alice_client.get(batch.get_absolute_url()).content.decode()
    assert "Dry run — nothing is charged yet" in page
    assert 'data-row="1" data-status="ready"' in page
    assert 'data-row="2" data-status="invalid"' in page
    assert "Bad URL" in page
    assert "2 credits" in page  # the total of the one valid row


def test_a_bad_file_re_renders_the_form_with_the_message(business, alice_client):
    response = _upload(alice_client, data=b"\x00\x01binary")
    assert response.status_code == 400
    assert "binary data" in response.content.decode()
    assert not Batch.objects.exists()


def test_nothing_to_run_is_a_form_error(alice_client):
    response = alice_client.post("/batch/", {})
    assert response.status_code == 400
    assert "Upload a CSV file" in response.content.decode()


def test_image_files_make_one_row_each(business, alice_client):
    files = [
        SimpleUploadedFile("one.png", image_bytes("PNG"), "image/png"),
        SimpleUploadedFile("two.jpg", image_bytes("JPEG"), "image/jpeg"),
        SimpleUploadedFile("bad.png", b"not an image", "image/png"),
    ]
    response = alice_client.post(
        "/batch/", {"images": files, "operation": "tools.convert", "settings": "format=webp"}
    )
    batch = Batch.objects.get(owner=business)
    assert response.status_code == 302
    rows = list(batch.rows.order_by("number"))
    assert [r.status for r in rows] == ["ready", "ready", "invalid"]
    assert rows[0].params["format"] == "webp" and rows[0].input_asset is not None


def test_library_images_make_rows(business, alice_client, alice_asset):
    response = alice_client.post(
        "/batch/", {"assets": [str(alice_asset.public_id)], "operation": "tools.convert"}
    )
    assert response.status_code == 302
    row = Batch.objects.get().rows.get()
    assert row.input_asset == alice_asset and row.status == "ready"


def test_approving_a_subset_holds_only_those(business, alice_client, funded, priced):
    funded(50)
    data = CSV + b"A3,https://a.test/c.png,tools.convert,webp,80\n"
    _upload(alice_client, data=data)
    batch = Batch.objects.get()
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        response = alice_client.post(
            f"/batch/{batch.public_id}/approve/", {"scope": "chosen", "rows": ["3"], "notify": "on"}
        )
    assert response.status_code == 302
    statuses = dict(batch.rows.values_list("number", "status"))
    assert statuses == {1: "skipped", 2: "invalid", 3: "waiting"}


def test_a_schedule_is_read_in_the_users_time_zone(
    business, alice_client, funded, priced, django_capture_on_commit_callbacks
):
    funded(50)
    _upload(alice_client)
    batch = Batch.objects.get()
    with (
        mock.patch("studio.batch.tasks.batch_start_task.apply_async") as start,
        django_capture_on_commit_callbacks(execute=True),
    ):
        alice_client.post(
            f"/batch/{batch.public_id}/approve/",
            {"scope": "all", "start_at": "2099-06-01T09:30", "tz": "Europe/Berlin"},
        )
    batch.refresh_from_db()
    assert batch.status == Batch.Status.SCHEDULED
    assert batch.scheduled_at.isoformat() == "2099-06-01T07:30:00+00:00"
    assert start.call_args.kwargs["eta"] == batch.scheduled_at


def test_a_time_in_the_past_is_refused(business, alice_client, funded, priced):
    funded(50)
    _upload(alice_client)
    batch = Batch.objects.get()
    response = alice_client.post(
        f"/batch/{batch.public_id}/approve/",
        {"scope": "all", "start_at": "2001-01-01T09:30", "tz": "UTC"},
    )
    assert response.status_code == 400 and "in the future" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT


def test_another_users_batch_is_404(business, bob_client, priced):
    batch = services.batch_create_from_csv(user=business, data=CSV)
    for url in ("/", "/download.zip", "/report.csv"):
        assert bob_client.get(f"/batch/{batch.public_id}{url}").status_code == 404
    for url in ("/approve/", "/pause/", "/cancel/", "/retry/"):
        assert bob_client.post(f"/batch/{batch.public_id}{url}").status_code == 404


def test_progress_polls_while_active_and_stops_when_done(
    business, alice_client, funded, priced, eager, committed, alice_asset
):
    funded(50)
    batch = services.batch_create_from_images(
        user=business, operation="tools.convert", assets=[alice_asset]
    )
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        services.batch_approve(batch=batch)
    fragment = alice_client.get(batch.get_absolute_url(), **HTMX).content.decode()
    assert 'id="batch-progress"' in fragment and 'hx-trigger="every 1s"' in fragment
    assert "<html" not in fragment and "0 %" in fragment
    committed(services.batch_start, batch_id=batch.pk)
    fragment = alice_client.get(batch.get_absolute_url(), **HTMX).content.decode()
    assert "100 %" in fragment and "hx-trigger" not in fragment
    assert 'data-row="1" data-status="succeeded"' in fragment
    assert "Download ZIP" in fragment and "<img" in fragment
