"""What submitting and running a job asks of the database: each check once, in as few
statements as the checks allow, so a short job is not dominated by round trips."""

import io
import time
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from PIL import Image

from billing.models import LedgerEntry
from studio.jobs import services
from studio.jobs.models import Job
from studio.jobs.registry import get_operation

pytestmark = pytest.mark.django_db


def _resize(user, asset):
    return services.job_create(
        user=user,
        operation=get_operation("tools.resize"),
        cleaned={"width": 60, "height": None, "mode": "fit"},
        inputs=[asset],
    )


def _statements(queries, table):
    return [q["sql"] for q in queries if f'"{table}"' in q["sql"]]


def test_submitting_reads_plan_and_job_counts_with_the_account_lock(alice, alice_asset):
    services.job_create(
        user=alice,
        operation=get_operation("tools.resize"),
        cleaned={"width": 60, "height": None, "mode": "fit"},
        inputs=[alice_asset],
    )  # the account is opened by the first job; measure the next one
    Job.objects.update(status=Job.Status.SUCCEEDED)  # the plan runs one job at a time
    with CaptureQueriesContext(connection) as ctx:
        job = _resize(alice, alice_asset)
    queries = ctx.captured_queries
    [lock] = [
        sql
        for sql in _statements(queries, "billing_creditaccount")
        if sql.lstrip().startswith("SELECT")
    ]
    # One statement: the account, the plan and both job counts the plan limits.
    assert '"billing_subscription"' in lock and '"billing_plan"' in lock
    assert lock.count('"studio_job"') >= 2
    assert not [s for s in _statements(queries, "billing_subscription") if s != lock]
    # A fresh job has no earlier hold to look up; the hold is still recorded once.
    assert not [s for s in _statements(queries, "billing_ledgerentry") if s.startswith("SELECT")]
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="hold").count() == 1
    # The job's own transaction and nothing nested in it.
    assert sum(q["sql"].startswith("SAVEPOINT") for q in queries) <= 1
    assert not job.has_files


def test_the_plan_limits_still_count_the_jobs_read_with_the_lock(alice, alice_asset):
    from billing.exceptions import PlanLimitExceeded
    from billing.services import subscription_for

    plan = subscription_for(user=alice).plan
    plan.max_concurrent_jobs = 2
    plan.save()
    _resize(alice, alice_asset)
    _resize(alice, alice_asset)
    with pytest.raises(PlanLimitExceeded, match="2 jobs at a time and 2 are running"):
        _resize(alice, alice_asset)
    assert Job.objects.filter(owner=alice).count() == 2


def test_running_a_job_without_files_does_not_look_for_them(alice, alice_asset):
    job = _resize(alice, alice_asset)
    with CaptureQueriesContext(connection) as ctx:
        assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED
    queries = ctx.captured_queries
    assert not _statements(queries, "studio_jobfile")
    # Capture under the lock taken with the job row, with no savepoint of its own.
    [insert] = [
        i for i, q in enumerate(queries) if q["sql"].startswith('INSERT INTO "billing_ledgerentry"')
    ]
    assert not queries[insert - 1]["sql"].startswith("SAVEPOINT")
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="capture").count() == 1
    if connection.vendor == "postgresql":
        [finish_lock] = [q["sql"] for q in queries if "FOR UPDATE OF" in q["sql"]]
        assert '"studio_job"' in finish_lock and '"billing_creditaccount"' in finish_lock


def test_a_job_with_private_files_is_marked_and_its_worker_reads_them(alice, alice_asset):
    mask = Image.new("L", (120, 80), 0)
    mask.paste(255, (40, 20, 80, 60))
    buf = io.BytesIO()
    mask.save(buf, "PNG")
    job = services.job_create(
        user=alice,
        operation=get_operation("tools.resize"),
        cleaned={"width": 60, "height": None, "mode": "fit"},
        inputs=[alice_asset],
        files={"mask": buf.getvalue()},
    )
    assert job.has_files and job.files.count() == 1
    with CaptureQueriesContext(connection) as ctx:
        services.job_run(job_id=job.pk)
    assert _statements(ctx.captured_queries, "studio_jobfile")
    # A retry keeps them (and the flag).
    job.refresh_from_db()
    job.status = Job.Status.FAILED
    job.save(update_fields=["status"])
    again = services.job_retry(job=job)
    assert again.has_files and again.files.get().role == "mask"


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_from_task_to_task(settings):
    """Celery closes the worker's connections around every task unless told otherwise; the
    worker keeps one while it is usable and younger than its maximum age."""
    from celery.fixups.django import DjangoWorkerFixup

    from imagestudio.celery import app, close_old_connections

    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 100
    fixup = DjangoWorkerFixup(app)
    conn = connections[DEFAULT_DB_ALIAS]
    conn.ensure_connection()
    conn.close_at = time.monotonic() + 60  # as young as a connection just opened
    raw = conn.connection

    class Request:
        is_eager = False

    task = type("Task", (), {"request": Request()})()
    with mock.patch.object(conn, "close", wraps=conn.close) as close:
        for _ in range(10):  # ten tasks' worth of pre-run and post-run signals
            fixup.on_task_prerun(sender=task)
            close_old_connections(sender=task)
            fixup.on_task_postrun(sender=task)
            close_old_connections(sender=task)
        close.assert_not_called()
        assert conn.connection is raw

        conn.close_at = 0  # past its maximum age (DB_CONN_MAX_AGE)
        close_old_connections(sender=task)
        close.assert_called_once()


def test_a_worker_claims_with_the_operation_key_in_one_statement(alice, alice_asset):
    """The task carries the operation key: the claim sets the progress message and reads
    the row back in one ``UPDATE … RETURNING``; the finish locks the job and the account
    in one statement that reads only the job's status with the account."""
    job = _resize(alice, alice_asset)
    with CaptureQueriesContext(connection) as ctx:
        assert services.job_run(job_id=job.pk, operation="tools.resize") == "succeeded"
    queries = [q["sql"] for q in ctx.captured_queries]
    job_selects = [
        s for s in _statements(ctx.captured_queries, "studio_job") if s.startswith("SELECT")
    ]
    [claim] = [s for s in queries if s.startswith('UPDATE "studio_job"') and "RETURNING" in s]
    assert "'running'" in claim and "'queued'" in claim
    # No read of the job before it is claimed; the finish's lock is the only other read.
    assert len(job_selects) == 1 and '"billing_creditaccount"' in job_selects[0]
    # The job's ledger entries are read unsorted (one of each kind at most).
    [entries] = [s for s in queries if s.startswith('SELECT "billing_ledgerentry"')]
    assert "ORDER BY" not in entries
    # Inside a transaction (as here) the claim leaves the commit's durability alone.
    assert "synchronous_commit" not in claim
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 1 and job.started_at
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="capture").count() == 1


def test_a_claim_sets_the_operations_progress_message_and_only_claims_once(alice, alice_asset):
    job = _resize(alice, alice_asset)
    claimed, operation = services._claim(job.pk, operation="tools.resize")
    assert operation is get_operation("tools.resize")
    assert claimed.pk == job.pk and claimed.status == Job.Status.RUNNING
    assert claimed.message == operation.progress_message and claimed.progress == 5
    assert claimed.params == job.params and claimed.owner_id == alice.pk
    # A second delivery finds it taken; the row says what the first one wrote.
    assert services._claim(job.pk, operation="tools.resize") == (None, None)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 1


def test_a_task_without_the_operation_key_still_runs_its_job(alice, alice_asset):
    """A task sent before the key was carried (or by hand) reads the key first."""
    job = _resize(alice, alice_asset)
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.message.startswith("Done")


def test_a_job_canceled_while_it_ran_is_neither_finished_nor_charged(alice, alice_asset):
    job = _resize(alice, alice_asset)
    claimed, operation = services._claim(job.pk, operation="tools.resize")
    services.job_cancel(job=job)
    status = services._job_finish(
        job=claimed, operation=operation, created=[], meta={}, inputs=[alice_asset]
    )
    assert status == Job.Status.CANCELED
    kinds = set(LedgerEntry.objects.filter(job_id=job.public_id).values_list("kind", flat=True))
    assert kinds == {"hold", "release"}


def test_the_cancel_probe_asks_first_a_second_after_the_claim(alice, alice_asset):
    job = _resize(alice, alice_asset)
    services._claim(job.pk, operation="tools.resize")
    probe = services._CancelProbe(job.pk)
    services.job_cancel(job=job)
    with CaptureQueriesContext(connection) as ctx:
        assert probe() is False  # just claimed: no query yet
    assert not ctx.captured_queries
    probe.checked_at -= 1.0  # a second later
    assert probe() is True


@pytest.mark.django_db(transaction=True)
def test_a_claim_on_its_own_does_not_wait_for_its_wal_flush(alice, alice_asset):
    """In autocommit on PostgreSQL the claim turns ``synchronous_commit`` off for its own
    transaction only: the finish, which charges the hold, still waits for its flush."""
    job = _resize(alice, alice_asset)
    with CaptureQueriesContext(connection) as ctx:
        assert services.job_run(job_id=job.pk, operation="tools.resize") == "succeeded"
    queries = [q["sql"] for q in ctx.captured_queries]
    [claim] = [s for s in queries if s.startswith('UPDATE "studio_job"') and "RETURNING" in s]
    if connection.vendor == "postgresql":
        assert "set_config('synchronous_commit', 'off', true)" in claim
        # Only the claim and progress reports skip the wait, never the finish (the charge).
        begin = queries.index("BEGIN")
        assert not [s for s in queries[begin:] if "synchronous_commit" in s]
        assert all(
            s.startswith('UPDATE "studio_job"') for s in queries if "synchronous_commit" in s
        )
        with connection.cursor() as cursor:  # a local setting: gone with its transaction
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    else:
        assert "synchronous_commit" not in claim


def test_progress_reports_update_only_a_running_job(alice, alice_asset):
    job = _resize(alice, alice_asset)
    services._job_progress(job.pk, 40, "Halfway")  # still queued: left alone
    job.refresh_from_db()
    assert job.progress == 0 and job.heartbeat_at is None
    services._claim(job.pk, operation="tools.resize")
    with CaptureQueriesContext(connection) as ctx:
        services._job_progress(job.pk, 140, "Almost" * 100)
        services._job_report(job.pk, [{"n": 1, "state": "done"}])
    assert len(ctx.captured_queries) == 2
    job.refresh_from_db()
    assert job.progress == 99 and job.message == ("Almost" * 100)[:255]
    assert job.result == {"items": [{"n": 1, "state": "done"}]} and job.heartbeat_at


@pytest.mark.django_db(transaction=True)
def test_progress_reports_do_not_wait_for_their_wal_flush(alice, alice_asset):
    job = _resize(alice, alice_asset)
    services._claim(job.pk, operation="tools.resize")
    with CaptureQueriesContext(connection) as ctx:
        services._job_progress(job.pk, 50, "Working")
    [update] = [q["sql"] for q in ctx.captured_queries]
    assert ("set_config('synchronous_commit', 'off', true)" in update) == (
        connection.vendor == "postgresql"
    )
    job.refresh_from_db()
    assert job.progress == 50 and job.message == "Working"
