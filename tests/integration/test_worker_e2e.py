"""Upload → operation → a real Celery worker on the real broker and database → result.

Needs Redis (REDIS_URL) and PostgreSQL (DATABASE_URL); `CI=true make test` provides both.
"""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from assets.models import Asset
from studio.jobs.models import Job
from tests.utils import image_bytes, open_bytes, read_field
from tests.workers import embedded_worker

pytestmark = [
    pytest.mark.services,
    pytest.mark.real_storage,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def real_worker(settings, tmp_path):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (CI=true make test does)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI=true make test does)")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    from imagestudio.celery import app

    assert app.conf.broker_url.startswith("redis://")
    with embedded_worker(app) as worker:
        yield worker


def _wait_for(job: Job, timeout: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        job.refresh_from_db()
        seen.add(job.status)
        if job.is_terminal:
            return job
        time.sleep(0.1)
    pytest.fail(f"job still {job.status} after {timeout} s (saw {sorted(seen)})")


def test_upload_resize_runs_on_a_real_worker(real_worker, alice_client, alice):
    upload = SimpleUploadedFile(
        "photo.jpg", image_bytes("JPEG", (1200, 900)), content_type="image/jpeg"
    )
    response = alice_client.post("/library/upload/", {"file": upload})
    original = Asset.objects.get(owner=alice)
    assert response["Location"] == original.get_absolute_url()

    response = alice_client.post(
        f"/assets/{original.public_id}/run/tools.resize/", {"width": 300, "mode": "fit"}
    )
    job = Job.objects.get(owner=alice)
    assert response["Location"] == job.get_absolute_url()

    job = _wait_for(job)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 1 and job.progress == 100
    output = job.outputs.get()
    assert output.parent == original
    assert (output.width, output.height) == (300, 225)
    assert output.file.storage.exists(output.file.name)
    stored = open_bytes(read_field(output.file))
    assert stored.format == "JPEG" and stored.size == (300, 225)
    assert open_bytes(read_field(output.thumbnail)).format == "WEBP"

    card = alice_client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="succeeded"' in card and output.get_absolute_url() in card


def test_a_second_delivery_of_the_same_job_does_no_work(real_worker, alice, alice_asset):
    from studio.jobs.registry import get_operation
    from studio.jobs.services import job_create
    from studio.jobs.tasks import job_run_task

    job = job_create(
        user=alice,
        operation=get_operation("tools.convert"),
        cleaned={"format": "webp", "quality": 80, "keep_metadata": False},
        inputs=[alice_asset],
    )
    job = _wait_for(job)
    assert job.status == Job.Status.SUCCEEDED
    # Simulate the broker redelivering the message after the work was done.
    job_run_task.apply_async(args=[job.pk], queue="interactive")
    time.sleep(1.0)
    job.refresh_from_db()
    assert job.attempts == 1
    assert Asset.objects.filter(source_job_id=job.public_id).count() == 1
