"""Batch flows with the pipeline running in-process: import, dry run, approve, run, results."""

from __future__ import annotations

import csv
import io
import zipfile
from unittest import mock

import pytest
from django.core import mail

from billing.models import LedgerEntry
from billing.services import account_for
from studio.batch import services
from studio.batch.models import Batch, BatchRow
from studio.jobs.models import Job

pytestmark = pytest.mark.django_db


def _csv(base: str, n_good: int = 3, bad: list[str] | None = None) -> bytes:
    lines = ["sku,image_url,operation,format,quality"]
    for i in range(n_good):
        lines.append(f"SKU-{i + 1},{base}/a.png,tools.convert,webp,80")
    lines.extend(bad or [])
    return ("\n".join(lines) + "\n").encode()


def _started(user, data: bytes) -> Batch:
    """A batch approved and started, its rows' jobs queued but not run (nor polled)."""
    batch = services.batch_create_from_csv(user=user, data=data)
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        services.batch_approve(batch=batch)
    with (
        mock.patch("studio.jobs.tasks.job_run_task.apply_async"),
        mock.patch("studio.batch.tasks.batch_dispatch_task.apply_async"),
    ):
        services.batch_start(batch_id=batch.pk)
    return batch


def test_a_batch_with_bad_rows_runs_the_good_ones_and_charges_only_them(
    alice, funded, priced, eager, image_server, committed
):
    funded(100)
    before = account_for(user=alice).available
    data = _csv(
        image_server,
        n_good=14,
        bad=[
            f"BAD-1,{image_server}/page.html,tools.convert,webp,80",  # fetched: not an image
            "BAD-2,ftp://example.com/x.png,tools.convert,webp,80",  # dry run: bad URL
            f"BAD-3,{image_server}/a.png,tools.convert,webp,300",  # dry run: out of range
            f"BAD-4,{image_server}/a.png,no.such.op,,",  # dry run: unknown operation
            f"BAD-5,{image_server}/error,tools.convert,jpeg,70",  # fetched: HTTP 500
            f"SKU-15,{image_server}/b.jpg,tools.convert,png,",  # good (PNG ignores quality)
        ],
    )
    batch = services.batch_create_from_csv(user=alice, data=data, name="Catalogue")
    assert batch.rows.count() == 20
    invalid = {r.number: r.error for r in batch.rows.filter(status=BatchRow.Status.INVALID)}
    assert set(invalid) == {16, 17, 18}
    assert "only http:// and https://" in invalid[16]
    assert "quality" in invalid[17]
    assert "Unknown operation" in invalid[18]
    summary = services.batch_summary(batch=batch)
    assert (summary.valid, summary.invalid, summary.total) == (17, 3, 34)
    assert summary.balance_after == before - 34
    assert account_for(user=alice).available == before  # the dry run holds nothing

    committed(services.batch_approve, batch=batch)

    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    rows = {r.number: r for r in batch.rows.all()}
    assert rows[15].status == BatchRow.Status.FAILED
    assert "web page" in rows[15].error
    assert rows[19].status == BatchRow.Status.FAILED and "HTTP 500" in rows[19].error
    ok = [r for r in rows.values() if r.status == BatchRow.Status.SUCCEEDED]
    assert len(ok) == 15
    assert all(r.job.status == Job.Status.SUCCEEDED and r.credits_charged == 2 for r in ok)
    assert rows[20].job.outputs.get().file.name.endswith(".png")
    # 15 rows charged 2 each; the failed rows' holds released; nothing left on hold.
    account = account_for(user=alice)
    assert account.available == before - 30 and account.held == 0
    captures = LedgerEntry.objects.filter(kind="capture", module="batch")
    assert captures.count() == 15
    assert LedgerEntry.objects.filter(kind="release", module="batch").count() == 2
    # The owner hears about it once.
    assert len(mail.outbox) == 1 and "15/17" in mail.outbox[0].subject


def test_approval_is_refused_with_the_shortfall_or_runs_only_rows_that_fit(
    alice, business, priced, image_server, committed
):
    # The business plan grants 15,000; spend it down to 5 available.
    from billing.services import credits_add

    available = account_for(user=alice).available
    credits_add(user=alice, amount=-(available - 5), kind="adjustment", reason="test")
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=4))
    with pytest.raises(services.BatchRefused) as refused:
        committed(services.batch_approve, batch=batch)
    assert refused.value.shortfall == 3 and refused.value.fitting == 2
    assert "3 more are needed" in refused.value.message
    assert not LedgerEntry.objects.filter(kind="hold").exists()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT

    approved = services.batch_approve(batch=batch, fit=True)
    assert [r.number for r in approved] == [1, 2]
    assert account_for(user=alice).held == 4
    statuses = dict(batch.rows.values_list("number", "status"))
    assert statuses == {1: "waiting", 2: "waiting", 3: "skipped", 4: "skipped"}


def test_a_chosen_subset_is_held_per_row_in_one_go(alice, funded, priced, image_server, committed):
    funded(100)
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=5))
    services.batch_approve(batch=batch, numbers=[2, 4])
    holds = LedgerEntry.objects.filter(kind="hold", module="batch")
    assert holds.count() == 2 and {h.held_delta for h in holds} == {2}
    assert set(holds.values_list("job_id", flat=True)) == set(
        batch.rows.filter(number__in=[2, 4]).values_list("hold_id", flat=True)
    )


def test_pause_stops_new_rows_and_resume_finishes(
    alice, funded, priced, eager, image_server, committed
):
    funded(100)
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=4))
    committed(services.batch_approve, batch=batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED  # eager: ran through

    batch2 = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=4))
    # Approve without running (tasks captured), then pause before any row starts.
    from unittest import mock

    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        services.batch_approve(batch=batch2)
    assert services.batch_pause(batch=batch2)
    services.batch_start(batch_id=batch2.pk)  # fetches, but dispatches nothing
    assert not batch2.rows.filter(job__isnull=False).exists()
    assert batch2.rows.filter(status="waiting").count() == 4
    assert committed(services.batch_resume, batch=batch2)
    batch2.refresh_from_db()
    assert batch2.status == Batch.Status.FINISHED
    assert batch2.rows.filter(status="succeeded").count() == 4


def test_cancel_releases_every_waiting_hold_at_once(alice, funded, priced, image_server, committed):
    from unittest import mock

    funded(100)
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=6))
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        committed(services.batch_approve, batch=batch)
    assert account_for(user=alice).held == 12
    assert services.batch_cancel(batch=batch) == 6
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CANCELED
    assert account_for(user=alice).held == 0
    assert LedgerEntry.objects.filter(kind="release", module="batch").count() == 6
    assert not LedgerEntry.objects.filter(kind="capture").exists()
    assert set(batch.rows.values_list("status", flat=True)) == {"canceled"}


def test_retry_runs_failed_rows_again_with_new_holds(
    alice, funded, priced, eager, image_server, committed
):
    funded(100)
    data = _csv(image_server, n_good=2, bad=[f"X,{image_server}/error,tools.convert,webp,80"])
    batch = services.batch_create_from_csv(user=alice, data=data)
    committed(services.batch_approve, batch=batch)
    row = batch.rows.get(number=3)
    assert row.status == "failed"
    old_hold = row.hold_id
    # The image is there now.
    BatchRow.objects.filter(pk=row.pk).update(image_url=f"{image_server}/a.png")
    committed(services.batch_retry, batch=batch)
    row.refresh_from_db()
    assert row.status == "succeeded" and row.hold_id != old_hold and row.credits_charged == 2
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED


def test_rows_wait_for_a_free_provider_slot(
    alice, funded, priced, image_server, settings, committed
):
    from unittest import mock

    from studio.batch.limits import limiter

    settings.BATCH_PROVIDER_LIMITS = {"local": 2, "default": 4}
    funded(100)
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=5))
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        services.batch_approve(batch=batch)
    with (
        mock.patch("studio.jobs.tasks.job_run_task.apply_async"),
        mock.patch("studio.batch.tasks.batch_dispatch_task.apply_async") as poll,
    ):
        services.batch_start(batch_id=batch.pk)
    assert batch.rows.filter(status="running").count() == 2
    assert batch.rows.filter(status="waiting").count() == 3  # waiting, not failed
    assert limiter().in_use("local") == 2
    poll.assert_called()  # it looks again for a free slot
    # One job ends: its slot goes to the next row.
    from studio.jobs.services import job_run

    first = batch.rows.get(number=1)
    with (
        mock.patch("studio.jobs.tasks.job_run_task.apply_async"),
        mock.patch("studio.batch.tasks.batch_dispatch_task.apply_async"),
    ):
        committed(job_run, job_id=first.job_id)
    assert batch.rows.get(number=1).status == "succeeded"
    assert batch.rows.filter(status="running").count() == 2
    assert batch.rows.get(number=3).status == "running"


def test_a_row_hands_its_slot_on_once_the_provider_answered(
    alice, funded, priced, image_server, settings, committed
):
    """Storing a result needs no provider slot: while row 1 saves its output, row 3 (the
    first that waited) has its slot and is running already."""
    from studio.batch.limits import limiter
    from studio.jobs import services as pipeline

    settings.BATCH_PROVIDER_LIMITS = {"local": 2, "default": 4}
    funded(100)
    batch = _started(alice, _csv(image_server, n_good=4))
    assert batch.rows.get(number=3).status == "waiting"
    seen = {}
    store = pipeline.asset_create_output

    def storing(**kwargs):
        seen["row 3"] = batch.rows.get(number=3).status
        seen["in use"] = limiter().in_use("local")
        return store(**kwargs)

    with (
        mock.patch("studio.jobs.tasks.job_run_task.apply_async"),
        mock.patch("studio.batch.tasks.batch_dispatch_task.apply_async"),
        mock.patch.object(pipeline, "asset_create_output", side_effect=storing),
    ):
        committed(pipeline.job_run, job_id=batch.rows.get(number=1).job_id)
    assert seen == {"row 3": "running", "in use": 2}
    assert batch.rows.get(number=1).status == "succeeded"
    assert limiter().in_use("local") == 2  # rows 2 and 3
    assert batch.rows.filter(status="running").count() == 2


def test_a_429_halves_the_provider_slots_for_everybody(settings, db):
    from studio.batch.limits import limiter

    settings.BATCH_PROVIDER_LIMITS = {"stability": 4, "default": 4}
    lim = limiter()
    assert all(lim.acquire("stability", f"a{i}", ttl=60) for i in range(4))
    assert not lim.acquire("stability", "a5", ttl=60)
    for i in range(4):
        lim.release("stability", f"a{i}")
    lim.throttle("stability", retry_after=0.01)
    import time

    time.sleep(0.05)
    assert lim.status("stability") == {"in_use": 0, "limit": 2, "throttled": True}
    assert lim.acquire("stability", "b1", ttl=60) and lim.acquire("stability", "b2", ttl=60)
    assert not lim.acquire("stability", "b3", ttl=60)


def test_a_429_any_call_waited_out_slows_the_provider_for_every_batch(settings, db):
    """The client retried the 429 itself (the job never saw it), yet batches slow down."""
    import httpx

    from providers.http.client import ProviderHTTP
    from studio.batch.limits import limiter

    settings.BATCH_PROVIDER_LIMITS = {"stability": 4, "default": 4}
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200)])
    http = ProviderHTTP(
        "stability",
        label="Stability",
        base_url="https://api.example.test",
        transport=httpx.MockTransport(lambda request: next(answers)),
    )
    assert http.request("POST", "/v2beta/x").status_code == 200
    assert limiter().status("stability") == {"in_use": 0, "limit": 2, "throttled": True}


def test_zip_and_report_match_the_rows(
    alice, alice_client, funded, priced, eager, image_server, committed
):
    funded(100)
    data = _csv(
        image_server,
        n_good=2,
        bad=[f'"=HYPERLINK(""http://evil"",""x"")",{image_server}/error,tools.convert,webp,80'],
    )
    batch = services.batch_create_from_csv(user=alice, data=data)
    committed(services.batch_approve, batch=batch)
    response = alice_client.get(f"/batch/{batch.public_id}/download.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["1-SKU-1.webp", "2-SKU-2.webp"]
    assert archive.read("1-SKU-1.webp")[8:12] == b"WEBP"

    report = alice_client.get(f"/batch/{batch.public_id}/report.csv").content.decode()
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0][:5] == ["row", "sku", "input", "operation", "status"]
    assert rows[1][4] == "Succeeded" and rows[1][5] == "1-SKU-1.webp" and rows[1][7] == "2"
    assert rows[1][6].startswith("http://testserver/")
    assert rows[3][1].startswith("'=HYPERLINK")  # escaped, not a formula
    assert rows[3][4] == "Failed" and rows[3][7] == "0" and "HTTP 500" in rows[3][8]


def test_usage_report_shows_batch_spending(
    alice, alice_client, funded, priced, eager, image_server, committed
):
    funded(100)
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=3))
    committed(services.batch_approve, batch=batch)
    page = alice_client.get("/billing/").content.decode()
    assert "Batch" in page
    from datetime import timedelta

    from django.utils import timezone

    from billing.selectors import usage_rows

    rows = usage_rows(
        user=alice, start=timezone.now() - timedelta(days=1), end=timezone.now() + timedelta(days=1)
    )
    batch_rows = [r for r in rows if r.module == "batch"]
    assert sum(r.credits for r in batch_rows) == 6


def test_retry_of_chosen_rows_only(
    alice, alice_client, funded, priced, eager, committed, image_server
):
    funded(100)
    bad = [f"X{i},{image_server}/error,tools.convert,webp,80" for i in (1, 2)]
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=1, bad=bad))
    committed(services.batch_approve, batch=batch)
    assert dict(batch.rows.values_list("number", "status")) == {
        1: "succeeded",
        2: "failed",
        3: "failed",
    }
    page = alice_client.get(batch.get_absolute_url()).content.decode()
    assert 'aria-label="Retry row 2"' in page and 'aria-label="Retry row 1"' not in page
    BatchRow.objects.filter(batch=batch).update(image_url=f"{image_server}/a.png")
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async"):
        response = alice_client.post(f"/batch/{batch.public_id}/retry/", {"rows": ["3"]})
    assert response.status_code == 302
    assert dict(batch.rows.values_list("number", "status")) == {
        1: "succeeded",
        2: "failed",
        3: "waiting",
    }
    assert account_for(user=alice).held == 2


def test_cancel_stops_a_running_row_and_releases_its_hold(
    alice, funded, priced, image_server, committed
):
    funded(100)
    batch = _started(alice, _csv(image_server, n_good=3))
    running = batch.rows.get(number=1)
    assert running.status == "running" and running.job.status == "queued"
    committed(services.batch_cancel, batch=batch)
    running.refresh_from_db()
    assert running.status == "canceled" and running.job.status == "canceled"
    assert set(batch.rows.values_list("status", flat=True)) == {"canceled"}
    assert account_for(user=alice).held == 0
    assert not LedgerEntry.objects.filter(kind="capture").exists()
    # The worker that picks the canceled job up later does nothing with it.
    from studio.jobs.services import job_run

    assert job_run(job_id=running.job_id) == "canceled"


def test_a_scheduled_batch_starts_when_due(alice, funded, priced, eager, committed, image_server):
    from datetime import timedelta

    from django.utils import timezone

    funded(100)
    batch = services.batch_create_from_csv(user=alice, data=_csv(image_server, n_good=2))
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("studio.batch.tasks.batch_start_task.apply_async") as start:
        committed(services.batch_approve, batch=batch, scheduled_at=later)
    assert start.call_args.kwargs["eta"] == later
    batch.refresh_from_db()
    assert batch.status == Batch.Status.SCHEDULED
    assert services.batch_start(batch_id=batch.pk) == "scheduled"  # too early: nothing runs
    assert services.batches_tick()["started"] == 0
    Batch.objects.filter(pk=batch.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    committed(services.batches_tick)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    assert batch.rows.filter(status="succeeded").count() == 2


def test_a_429_from_the_provider_slows_it_for_every_batch(
    business, alice_asset, providers_on, settings
):
    from providers.base import Capability
    from studio.batch.limits import limiter
    from studio.jobs.forms import OperationForm
    from studio.jobs.registry import Operation, register, unregister
    from studio.jobs.services import JobRetryLater, job_create, job_run

    settings.BATCH_PROVIDER_LIMITS = {"stability": 6, "default": 4}
    servers = providers_on("stability")
    # A wait longer than a call's own retries take: the pipeline hears of it.
    servers["stability"].inject("rate_limit", retry_after=60)
    op = Operation(
        key="test.stability_cutout",
        module="edit",
        label="Remove background (Stability)",
        verb="Remove background",
        progress_message="Cutting out…",
        capability=Capability.REMOVE_BACKGROUND,
        form_class=OperationForm,
        provider="stability",
        model="remove-background",
        price_key="edit.remove_background",
    )
    register(op)
    try:
        with mock.patch("studio.jobs.tasks.job_run_task.apply_async"):
            job = job_create(user=business, operation=op, params={}, inputs=[alice_asset])
        with pytest.raises(JobRetryLater):
            job_run(job_id=job.pk, retries_left=2)
    finally:
        unregister(op.key)
    status = limiter().status("stability")
    assert status == {"in_use": 0, "limit": 3, "throttled": True}
    # Held back until Retry-After has passed, for every batch.
    assert not limiter().acquire("stability", "another-batch-row", ttl=60)
