"""A running job keeps beating while one long step runs, and stops beating when it ends."""

from __future__ import annotations

import time
from unittest import mock

import pytest

from studio.jobs import services
from studio.jobs.models import Job
from studio.jobs.registry import get_operation

pytestmark = pytest.mark.django_db(transaction=True)


def test_heartbeat_advances_during_a_long_step(alice, alice_asset, settings):
    settings.JOB_HEARTBEAT_SECONDS = 0.1
    job = services.job_create(
        user=alice,
        operation=get_operation("tools.resize"),
        cleaned={"width": 60, "height": None, "mode": "fit"},
        inputs=[alice_asset],
    )
    seen = []
    real_read = services._read_input

    def slow_read(asset):
        # One long step with no progress reports of its own.
        for _ in range(6):
            time.sleep(0.15)
            seen.append(Job.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk))
        return real_read(asset)

    with mock.patch.object(services, "_read_input", slow_read):
        assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED
    assert len(set(seen)) >= 4, seen  # it moved while nothing else touched it
    job.refresh_from_db()
    finished = job.heartbeat_at
    time.sleep(0.3)
    job.refresh_from_db()
    assert job.heartbeat_at == finished  # no beating after the end


def test_default_recovery_is_within_two_minutes(settings):
    worst = settings.JOB_STALE_AFTER.total_seconds() + settings.JOB_SWEEP_SECONDS
    assert worst <= 120
    assert settings.JOB_STALE_AFTER.total_seconds() >= 3 * settings.JOB_HEARTBEAT_SECONDS
    sweep = settings.CELERY_BEAT_SCHEDULE["sweep-stale-jobs"]["schedule"]
    assert sweep.total_seconds() == settings.JOB_SWEEP_SECONDS
