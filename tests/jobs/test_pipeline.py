from datetime import timedelta
from unittest import mock

import httpx
import pytest
from django.utils import timezone

from assets.models import Asset
from billing.models import LedgerEntry
from billing.services import credits_add, hold_place
from providers.base import RateLimited, TransientError
from providers.http.client import ProviderHTTP
from providers.http.retry import Clock, RetryPolicy
from studio.jobs import services
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.tasks import MAX_RETRIES
from tests.factories import JobFactory
from tests.utils import open_bytes

pytestmark = pytest.mark.django_db


def _create(user, asset, key="tools.resize", **cleaned):
    cleaned = cleaned or {"width": 60, "height": None, "mode": "fit"}
    return services.job_create(
        user=user, operation=get_operation(key), cleaned=cleaned, inputs=[asset]
    )


def test_job_create_holds_credits_and_enqueues_after_commit(
    alice, alice_asset, django_capture_on_commit_callbacks
):
    with mock.patch("studio.jobs.tasks.job_run_task.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            job = _create(alice, alice_asset)
            apply_async.assert_not_called()  # not before the row is committed
    # The task carries the operation key: the worker claims the job in one statement.
    apply_async.assert_called_once_with(
        args=[job.pk], kwargs={"operation": "tools.resize"}, queue="interactive"
    )
    assert job.status == Job.Status.QUEUED
    assert list(job.inputs.all()) == [alice_asset]
    assert job.params == {"width": 60, "mode": "fit"}
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="hold").count() == 1


def test_run_produces_a_child_asset_with_thumbnail(alice, alice_asset):
    job = _create(alice, alice_asset)
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.progress == 100
    assert job.started_at and job.finished_at and job.attempts == 1
    [out] = job.outputs.all()
    assert out.parent == alice_asset
    assert out.source_job_id == job.public_id
    assert out.source_module == "tools" and out.operation == "tools.resize"
    assert (out.width, out.height) == (60, 40)
    assert open_bytes(out.file.read()).size == (60, 40)
    assert open_bytes(out.thumbnail.read()).format == "WEBP"
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="capture").count() == 1


@pytest.mark.parametrize(
    ("key", "cleaned", "check"),
    [
        (
            "tools.crop",
            {"x": 10, "y": 5, "width": 50, "height": 30},
            lambda img: img.size == (50, 30),
        ),
        (
            "tools.filter",
            {"name": "grayscale", "amount": 1.0},
            lambda img: len(set(img.convert("RGB").getpixel((60, 40)))) == 1,
        ),
        (
            "tools.convert",
            {"format": "webp", "quality": 80, "keep_metadata": False},
            lambda img: img.format == "WEBP",
        ),
        (
            "tools.resize",
            {"width": 30, "height": 30, "mode": "exact"},
            lambda img: img.size == (30, 30),
        ),
    ],
)
def test_each_tool_produces_its_result(alice, alice_asset, key, cleaned, check):
    job = _create(alice, alice_asset, key, **cleaned)
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    [out] = job.outputs.all()
    assert check(open_bytes(out.file.read()))


def test_palette_is_stored_on_the_input_asset(alice, alice_asset):
    job = _create(alice, alice_asset, "tools.palette", count=3, mode="dominant")
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    alice_asset.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.outputs.count() == 0
    hexes = [c["hex"] for c in alice_asset.palette]
    assert len(hexes) >= 2 and "#c82828" in hexes and "#145ac8" in hexes
    assert job.result["palette"] == alice_asset.palette


def test_a_redelivered_task_does_not_run_the_work_twice(alice, alice_asset):
    job = _create(alice, alice_asset)
    services.job_run(job_id=job.pk)
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED
    assert Asset.objects.filter(source_job_id=job.public_id).count() == 1
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="capture").count() == 1


def test_a_job_already_running_elsewhere_is_not_claimed_again(alice, alice_asset):
    job = _create(alice, alice_asset)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    with mock.patch("providers.local.engine.LocalEngine.run") as run:
        assert services.job_run(job_id=job.pk) == Job.Status.RUNNING
    run.assert_not_called()


def test_invalid_input_fails_with_the_message_and_releases(alice, alice_asset):
    job = _create(alice, alice_asset, "tools.crop", x=100, y=0, width=50, height=10)
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "crop box must lie inside the image" in job.error
    assert job.outputs.count() == 0
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").count() == 1


def test_an_unexpected_crash_fails_with_a_plain_message(alice, alice_asset):
    job = _create(alice, alice_asset)
    with mock.patch(
        "providers.local.engine.LocalEngine.run", side_effect=ZeroDivisionError("boom")
    ):
        services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == services.GENERIC_FAILURE
    assert "boom" not in job.error


def test_transient_errors_requeue_for_a_retry_honouring_retry_after(alice, alice_asset):
    job = _create(alice, alice_asset)
    with mock.patch(
        "providers.local.engine.LocalEngine.run",
        side_effect=RateLimited("The provider is busy.", retry_after=7),
    ):
        with pytest.raises(services.JobRetryLater) as exc:
            services.job_run(job_id=job.pk, retries_left=2)
    assert exc.value.countdown == 7
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert "Retrying" in job.message
    # The retry claims it again and succeeds; the hold is captured once.
    assert services.job_run(job_id=job.pk, retries_left=1) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 2


def test_transient_errors_without_retries_left_fail_and_release(alice, alice_asset):
    job = _create(alice, alice_asset)
    with mock.patch(
        "providers.local.engine.LocalEngine.run", side_effect=TransientError("Provider down.")
    ):
        assert services.job_run(job_id=job.pk, retries_left=0) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "Provider down."
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").exists()


def test_cancel_a_queued_job_releases_and_the_worker_skips_it(alice, alice_asset):
    job = _create(alice, alice_asset)
    assert services.job_cancel(job=job) is True
    assert job.status == Job.Status.CANCELED
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").count() == 1
    assert services.job_run(job_id=job.pk) == Job.Status.CANCELED
    assert job.outputs.count() == 0
    assert services.job_cancel(job=job) is False


def test_cancel_while_running_discards_results_and_charges_nothing(
    alice, alice_asset, django_capture_on_commit_callbacks
):
    job = _create(alice, alice_asset)
    real_run = __import__("providers.local.engine", fromlist=["LocalEngine"]).LocalEngine.run

    def run_then_cancel(self, request, **kwargs):
        result = real_run(self, request, **kwargs)
        services.job_cancel(job=Job.objects.get(pk=job.pk))
        return result

    with mock.patch("providers.local.engine.LocalEngine.run", run_then_cancel):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.job_run(job_id=job.pk) == Job.Status.CANCELED
    assert not Asset.objects.filter(source_job_id=job.public_id).exists()
    kinds = set(LedgerEntry.objects.filter(job_id=job.public_id).values_list("kind", flat=True))
    assert kinds == {"hold", "release"}


def _price(operation: str, credits: int) -> None:
    from billing.models import PriceRule

    PriceRule.objects.update_or_create(
        operation=operation,
        provider="local",
        model="",
        tier="",
        defaults={"credits_per_unit": credits},
    )


def test_paid_job_captures_exactly_the_estimate(alice, alice_asset):
    _price("tools.resize", 3)
    credits_add(user=alice, amount=10, kind="purchase", reason="test")
    alice.credit_account.refresh_from_db()
    start = alice.credit_account.balance
    job = _create(alice, alice_asset)
    assert job.credits_estimated == 3
    alice.credit_account.refresh_from_db()
    assert alice.credit_account.held == 3 and alice.credit_account.available == start - 3
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    alice.credit_account.refresh_from_db()
    assert job.credits_charged == 3
    assert (alice.credit_account.balance, alice.credit_account.held) == (start - 3, 0)


def test_insufficient_credits_create_no_job_and_no_hold(alice, alice_asset):
    from billing.services import InsufficientCredits, account_for

    available = account_for(user=alice).available
    _price("tools.resize", available + 5)
    with pytest.raises(InsufficientCredits) as exc:
        _create(alice, alice_asset)
    assert "Needs 5 more credits" in exc.value.message
    assert not Job.objects.exists()
    assert not LedgerEntry.objects.filter(kind="hold").exists()


def test_sweeper_requeues_a_job_whose_worker_died(alice, alice_asset, settings):
    job = _create(alice, alice_asset)
    old = timezone.now() - settings.JOB_STALE_AFTER - timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, heartbeat_at=old, attempts=1)
    with mock.patch("studio.jobs.tasks.job_run_task.apply_async") as apply_async:
        from django.db import transaction

        with mock.patch.object(transaction, "on_commit", lambda fn, *a, **k: fn()):
            result = services.jobs_sweep()
    assert result["requeued"] == 1
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    apply_async.assert_called_once()
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED


def test_sweeper_fails_a_job_after_max_attempts_and_releases(alice, alice_asset, settings):
    job = _create(alice, alice_asset)
    old = timezone.now() - settings.JOB_STALE_AFTER - timedelta(minutes=1)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, heartbeat_at=old, attempts=settings.JOB_MAX_ATTEMPTS
    )
    assert services.jobs_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "worker" in job.error
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").exists()


def test_sweeper_reenqueues_lost_queued_jobs_once_per_period(alice, alice_asset, settings):
    job = _create(alice, alice_asset)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - settings.JOB_STALE_AFTER * 2)
    with mock.patch("studio.jobs.tasks.job_run_task.apply_async") as apply_async:
        assert services.jobs_sweep()["reenqueued"] == 1
        assert services.jobs_sweep()["reenqueued"] == 0
    apply_async.assert_called_once_with(
        args=[job.pk], kwargs={"operation": "tools.resize"}, queue="interactive"
    )


def test_fresh_running_jobs_are_left_alone(alice):
    job = JobFactory(owner=alice, status=Job.Status.RUNNING, heartbeat_at=timezone.now())
    assert services.jobs_sweep() == {"requeued": 0, "failed": 0, "reenqueued": 0}
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING


def test_retry_creates_a_new_job_with_the_same_recipe(alice, alice_asset):
    job = _create(alice, alice_asset)
    services.job_cancel(job=job)
    again = services.job_retry(job=job)
    assert again.pk != job.pk and again.retry_of == job
    assert again.params == job.params and list(again.inputs.all()) == [alice_asset]
    assert again.status == Job.Status.QUEUED


def test_soft_time_limit_fails_the_job(alice, alice_asset):
    from celery.exceptions import SoftTimeLimitExceeded

    from studio.jobs.tasks import job_run_task

    job = _create(alice, alice_asset)
    with mock.patch("studio.jobs.services.job_run", side_effect=SoftTimeLimitExceeded()):
        job_run_task.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "took too long" in job.error


@pytest.mark.django_db(transaction=True)
def test_a_job_past_its_time_limit_is_stopped_by_its_heartbeat(alice, alice_asset, settings):
    """A thread-pool worker has no time limits: the heartbeat fails the job instead, and
    what the stuck call returns later is thrown away, uncharged."""
    import time

    credits_add(user=alice, amount=50, kind="adjustment", reason="test")
    with mock.patch("studio.jobs.tasks.job_run_task.apply_async"):
        job = _create(alice, alice_asset)
    settings.JOB_HEARTBEAT_SECONDS = 0.05
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0
    read = services._read_input

    def stuck(asset):
        time.sleep(1.0)  # a call that outlives the limit
        return read(asset)

    with (
        mock.patch.object(services, "TIME_LIMIT_GRACE", 0.1),
        mock.patch.object(services, "_read_input", side_effect=stuck),
    ):
        status = services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert status == Job.Status.FAILED
    assert job.status == Job.Status.FAILED and job.error_code == "timeout"
    assert "took too long" in job.error
    kinds = set(LedgerEntry.objects.filter(job_id=job.public_id).values_list("kind", flat=True))
    assert kinds == {"hold", "release"}  # never captured
    assert not job.outputs.exists()
    assert not Asset.objects.filter(source_job_id=job.public_id, status="ready").exists()


def test_hold_is_idempotent_per_job(alice):
    import uuid

    job_id = uuid.uuid4()
    first = hold_place(user=alice, job_id=job_id, amount=0)
    assert hold_place(user=alice, job_id=job_id, amount=0) == first


def test_a_time_limit_inside_the_provider_call_fails_with_the_timeout_message(alice, alice_asset):
    from celery.exceptions import SoftTimeLimitExceeded

    from studio.jobs.tasks import job_run_task

    job = _create(alice, alice_asset)
    with mock.patch("providers.local.engine.LocalEngine.run", side_effect=SoftTimeLimitExceeded()):
        job_run_task.run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error_code == "timeout"
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").exists()


def test_retry_refuses_when_an_input_is_in_the_trash(alice, alice_asset):
    from billing.services import BillingError

    job = _create(alice, alice_asset)
    services.job_cancel(job=job)
    Asset.objects.filter(pk=alice_asset.pk).update(status=Asset.Status.TRASHED)
    with pytest.raises(BillingError, match="in the trash"):
        services.job_retry(job=job)


class _Clock(Clock):
    """Time that moves only when the HTTP client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _provider_over_http(answers):
    """Patch the provider so every run sends one request through the real HTTP client."""
    clock, calls = _Clock(), []

    def handler(request):
        calls.append(request)
        return answers(len(calls))

    http = ProviderHTTP(
        "local",
        base_url="https://provider.example.test",
        clock=clock,
        transport=httpx.MockTransport(handler),
        rand=lambda: 1.0,
    )
    patch = mock.patch(
        "providers.local.engine.LocalEngine.run",
        side_effect=lambda *a, **k: http.request("POST", "/render"),
    )
    return patch, clock, calls


def _run_like_celery(job):
    """Run the job as the task does: re-run on JobRetryLater until no retries are left."""
    countdowns = []
    while True:
        try:
            return services.job_run(
                job_id=job.pk, retries_left=MAX_RETRIES - len(countdowns)
            ), countdowns
        except services.JobRetryLater as exc:
            countdowns.append(exc.countdown)


def test_retry_worst_case_attempts_and_waiting_are_bounded(alice, alice_asset):
    # Every run: two short faults the client retries itself, then a rate limit asking for
    # ten minutes, which only the pipeline may wait for.
    def answers(n):
        if n % 3:
            return httpx.Response(503)
        return httpx.Response(429, headers={"Retry-After": "600"})

    patch, clock, calls = _provider_over_http(answers)
    job = _create(alice, alice_asset)
    with patch:
        status, countdowns = _run_like_celery(job)
    assert status == Job.Status.FAILED
    per_call = RetryPolicy().max_attempts
    assert len(calls) == (MAX_RETRIES + 1) * per_call == 9
    assert countdowns == [services.MAX_COUNTDOWN] * MAX_RETRIES  # 600 s capped to 300 s
    assert clock.sleeps == [1.0, 2.0] * (MAX_RETRIES + 1)  # short waits inside each call
    waited = sum(clock.sleeps) + sum(countdowns)
    bound = (MAX_RETRIES + 1) * RetryPolicy().deadline + MAX_RETRIES * services.MAX_COUNTDOWN
    assert waited == 609.0 <= bound
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").exists()


def test_a_fault_the_client_already_retried_is_not_retried_again(alice, alice_asset):
    patch, clock, calls = _provider_over_http(lambda n: httpx.Response(503))
    job = _create(alice, alice_asset)
    with patch:
        status, countdowns = _run_like_celery(job)
    assert status == Job.Status.FAILED and countdowns == []
    assert len(calls) == RetryPolicy().max_attempts == 3  # one layer: 3 attempts, not 3 × 3


def test_a_short_retry_after_is_waited_inside_the_call(alice, alice_asset):
    patch, clock, calls = _provider_over_http(
        lambda n: (
            httpx.Response(429, headers={"Retry-After": "2"}) if n == 1 else httpx.Response(500)
        )
    )
    job = _create(alice, alice_asset)
    with patch:
        status, countdowns = _run_like_celery(job)
    assert countdowns == [] and clock.sleeps[0] == 2.0
    assert status == Job.Status.FAILED and len(calls) == 3
