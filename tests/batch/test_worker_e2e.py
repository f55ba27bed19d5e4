"""Batches on a real Celery worker, the real broker (Redis), PostgreSQL and Redis slots.

Needs Redis (REDIS_URL) and PostgreSQL (DATABASE_URL); `CI=true make test` provides both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from billing.models import LedgerEntry
from billing.services import account_for
from studio.batch import services
from studio.batch.limits import reset_limiter
from studio.batch.models import Batch, BatchRow
from studio.jobs.models import Job
from tests.workers import embedded_worker

pytestmark = [
    pytest.mark.services,
    pytest.mark.real_storage,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def services_env(settings, tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: set REDIS_URL (CI=true make test does)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI=true make test does)")
    from billing import seed
    from billing.models import CreditPack, Plan, PriceRule

    # A transactional test before this one may have flushed the seeded plans and prices.
    seed.seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.BATCH_LIMITER_URL = redis_url
    reset_limiter()
    from studio.batch.limits import limiter

    limiter().reset()
    from imagestudio.celery import app

    assert app.conf.broker_url.startswith("redis://")
    yield {"redis_url": redis_url, "media": tmp_path, "app": app}
    limiter().reset()
    reset_limiter()


def _wait(batch: Batch, status: str, timeout: float = 60.0) -> Batch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.status == status:
            return batch
        time.sleep(0.2)
    counts = dict(
        batch.rows.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    pytest.fail(f"batch still {batch.status} after {timeout} s: {counts}")


def test_a_20_row_batch_with_bad_rows_runs_on_a_real_worker(
    services_env, business, funded, priced, image_server, settings
):
    funded(100)
    before = account_for(user=business).available
    lines = ["sku,image_url,operation,format,quality"]
    lines += [f"OK-{i},{image_server}/a.png,tools.convert,webp,80" for i in range(1, 17)]
    lines += [
        f"HTML,{image_server}/page.html,tools.convert,webp,80",
        "LOCAL,http://169.254.169.254/latest/meta-data/,tools.convert,webp,80",  # refused
        f"RANGE,{image_server}/a.png,tools.convert,webp,0",
        "SCHEME,file:///etc/passwd,tools.convert,webp,80",
    ]
    settings.BATCH_FETCH_ALLOW_LOOPBACK = True  # the test image server only
    batch = services.batch_create_from_csv(user=business, data=("\n".join(lines) + "\n").encode())
    assert batch.rows.filter(status="invalid").count() == 2
    with embedded_worker(services_env["app"]):
        services.batch_approve(batch=batch)
        batch = _wait(batch, Batch.Status.FINISHED)
    statuses = dict(batch.rows.values_list("sku", "status"))
    assert [statuses[f"OK-{i}"] for i in range(1, 17)] == ["succeeded"] * 16
    assert statuses["HTML"] == "failed" and statuses["RANGE"] == "invalid"
    errors = dict(batch.rows.values_list("sku", "error"))
    assert "web page" in errors["HTML"]
    assert "private or internal" in errors["LOCAL"]
    account = account_for(user=business)
    assert account.available == before - 32 and account.held == 0
    assert LedgerEntry.objects.filter(kind="capture", module="batch").count() == 16


def _subprocess_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "imagestudio",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_batch_loses_no_row_and_charges_none_twice(
    services_env, business, funded, slow_stability, settings
):
    settings.JOB_STALE_AFTER = timedelta(seconds=2)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": services_env["redis_url"],
        "CELERY_BROKER_URL": services_env["redis_url"],
        "BATCH_LIMITER_URL": services_env["redis_url"],
        "MEDIA_ROOT": str(services_env["media"]),
        **slow_stability.env(),
    }
    env.pop("TESTING", None)
    batch = services.batch_create_from_csv(
        user=business,
        data=b"prompt,template,seed\n"
        + b"".join(f"Row {i},instagram-square,{i}\n".encode() for i in range(1, 7)),
    )
    assert batch.rows.filter(status="ready").count() == 6, list(
        batch.rows.values_list("error", flat=True)
    )
    before = account_for(user=business).available
    worker = _subprocess_worker(env)
    try:
        services.batch_approve(batch=batch)
        # Kill the worker while a row's provider call is in flight.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if Job.objects.filter(batch_rows__batch=batch, status="running").exists():
                break
            time.sleep(0.05)
        else:
            pytest.fail("no row started on the worker")
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=10)
    killed = Job.objects.get(batch_rows__batch=batch, status="running")
    time.sleep(2.5)  # the heartbeat goes stale
    from studio.jobs.services import jobs_sweep

    with embedded_worker(services_env["app"]):
        assert jobs_sweep()["requeued"] == 1
        batch = _wait(batch, Batch.Status.FINISHED, timeout=90)
    assert set(batch.rows.values_list("status", flat=True)) == {"succeeded"}
    killed.refresh_from_db()
    assert killed.status == "succeeded" and killed.attempts == 2
    # Each row charged exactly once: one hold, one capture per row, nothing left held.
    hold_ids = list(batch.rows.values_list("hold_id", flat=True))
    for kind in ("hold", "capture"):
        counts = (
            LedgerEntry.objects.filter(job_id__in=hold_ids, kind=kind)
            .values("job_id")
            .annotate(n=Count("id"))
        )
        assert sorted(c["n"] for c in counts) == [1] * 6
    charged = sum(batch.rows.values_list("credits_charged", flat=True))
    account = account_for(user=business)
    assert account.available == before - charged and account.held == 0
    assert BatchRow.objects.filter(batch=batch, job__outputs__isnull=False).distinct().count() == 6
