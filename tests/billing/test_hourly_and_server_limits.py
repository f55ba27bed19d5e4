"""A plan's hourly job cap (free local jobs included) and the server's output ceiling,
both refused before any hold, with a message on the form."""

import pytest

from billing.models import Plan
from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def _resize(client, asset, **data):
    return client.post(f"/assets/{asset.public_id}/run/tools.resize/", data, **HTMX)


def test_the_hourly_cap_counts_free_local_jobs_and_refuses_before_a_hold(
    alice_client, alice, alice_asset
):
    Plan.objects.filter(slug="free").update(max_jobs_per_hour=3, max_concurrent_jobs=10)
    for _ in range(3):
        JobFactory(owner=alice, status=Job.Status.SUCCEEDED)
    response = _resize(alice_client, alice_asset, width=50, mode="fit")
    html = response.content.decode()
    assert "allows 3 jobs an hour" in html
    assert Job.objects.filter(owner=alice).count() == 3


def test_older_jobs_do_not_count_toward_the_hourly_cap(alice_client, alice, alice_asset):
    from datetime import timedelta

    from django.utils import timezone

    Plan.objects.filter(slug="free").update(max_jobs_per_hour=1, max_concurrent_jobs=10)
    JobFactory(
        owner=alice, status=Job.Status.SUCCEEDED, created_at=timezone.now() - timedelta(hours=2)
    )
    _resize(alice_client, alice_asset, width=50, mode="fit")
    assert Job.objects.filter(owner=alice).count() == 2


def test_a_batch_s_rows_leave_the_hourly_cap_for_what_one_submits(alice_client, alice, alice_asset):
    Plan.objects.filter(slug="free").update(max_jobs_per_hour=2, max_concurrent_jobs=10)
    for _ in range(5):  # a batch ran five rows this hour
        JobFactory(owner=alice, status=Job.Status.SUCCEEDED, queue=Job.Queue.BATCH)
    _resize(alice_client, alice_asset, width=50, mode="fit")
    assert Job.objects.filter(owner=alice, queue=Job.Queue.INTERACTIVE).count() == 1


def test_a_huge_resize_is_refused_with_a_message_not_a_memory_error(alice_client, alice, settings):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from assets.services import asset_create_from_upload

    Plan.objects.filter(slug="free").update(max_output_pixels=None)
    buf = io.BytesIO()
    Image.new("L", (1, 20000), 128).save(buf, "PNG")
    upload = SimpleUploadedFile("sliver.png", buf.getvalue())
    sliver = asset_create_from_upload(owner=alice, uploaded=upload, filename=upload.name)
    html = _resize(alice_client, sliver, width=16384, mode="fit").content.decode()
    assert "This server makes images of up to" in html
    assert not Job.objects.exists()


def test_the_cost_button_shows_the_server_ceiling(alice_client, alice_asset, settings):
    settings.OUTPUT_MAX_PIXELS = 1000
    Plan.objects.filter(slug="free").update(max_output_pixels=None)
    response = alice_client.post(
        f"/assets/{alice_asset.public_id}/run/tools.resize/?estimate=1",
        {"width": 400, "mode": "fit"},
        **HTMX,
    )
    html = response.content.decode()
    assert "disabled" in html and "This server makes images of up to" in html
