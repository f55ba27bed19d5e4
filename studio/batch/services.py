"""Batches: create from a CSV or images (dry run), approve (holds), run rows as jobs.

A row's credits are held at approval under the row's ``hold_id``; when the row's turn
comes (a free provider slot, the user's plan has room) its job is created with that id
(``job_create(held_as=...)``), so the one pipeline runs, captures or releases it exactly
as for any other job. Rows wait, never fail, while slots are taken.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from assets.models import Asset
from assets.services import asset_create_from_upload
from billing import services as billing
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.services import job_cancel, job_create

from . import importer
from .importer import BatchInputError, RowPlan
from .limits import limiter
from .models import Batch, BatchRow
from .tasks import batch_dispatch_task as _dispatch_task
from .tasks import batch_notify_task as _notify_task
from .tasks import batch_start_task as _start_task

logger = logging.getLogger(__name__)

FETCH_CHUNK = 16


class BatchRefused(Exception):
    """Approval refused: the balance does not cover the rows (``shortfall`` credits)."""

    def __init__(self, message: str, *, shortfall: int = 0, fitting: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.shortfall = shortfall
        self.fitting = fitting


# --------------------------------------------------------------------------- create


def _hold_rows(batch: Batch, rows: list[BatchRow], *, note: str = "") -> None:
    """Place one credit hold per row (inside the caller's transaction) and mark the rows
    waiting; the caller saves them."""
    for row in rows:
        row.hold_id = uuid.uuid4()
        billing.hold_place(
            user=batch.owner,
            job_id=row.hold_id,
            amount=row.credits,
            module="batch",
            provider=row.provider,
            reason=f"Batch “{batch.name[:120]}” · row {row.number}{note}",
        )
        row.status = BatchRow.Status.WAITING


def _plan_size_check(*, user, rows: int) -> None:
    plan = billing.subscription_for(user=user).plan
    if rows > plan.max_batch_size:
        raise BatchInputError(
            f"This batch has {rows:,} rows; your {plan.name} plan allows batches of up to "
            f"{plan.max_batch_size:,}. Split the file or upgrade your plan."
        )


def _save_rows(batch: Batch, plans: list[RowPlan]) -> None:
    BatchRow.objects.bulk_create(
        [
            BatchRow(
                batch=batch,
                number=p.number,
                values=p.values,
                operation=p.operation,
                params=p.params,
                provider=p.provider,
                sku=p.sku,
                slug=p.slug,
                image_url=p.image_url,
                input_asset=p.asset,
                credits=p.credits if p.valid else 0,
                status=BatchRow.Status.READY if p.valid else BatchRow.Status.INVALID,
                error=p.error,
            )
            for p in plans
        ],
        batch_size=500,
    )


def batch_create_from_csv(
    *, user, data: bytes, name: str = "", operation: str = "", defaults: dict | None = None
) -> Batch:
    """A draft batch with one validated, priced row per CSV line. ``BatchInputError``
    (nothing created) when the file as a whole can't be used."""
    columns, rows = importer.parse_csv(data)
    kind = importer.kind_of(columns)
    _plan_size_check(user=user, rows=len(rows))
    if operation and importer.find_operation(operation) is None:
        raise BatchInputError(f"Unknown operation “{operation}”.")
    plans = importer.dry_run(user=user, rows=rows, default_operation=operation, defaults=defaults)
    with transaction.atomic():
        batch = Batch(
            owner=user,
            name=(name or f"Batch of {len(rows)} {'prompts' if kind == 'prompts' else 'products'}")[
                :200
            ],
            kind=kind,
            operation=operation,
            defaults=dict(defaults or {}),
        )
        batch.full_clean()
        batch.save()
        _save_rows(batch, plans)
    return batch


def batch_create_from_images(
    *,
    user,
    operation: str,
    uploads: list[UploadedFile] = (),
    assets: list[Asset] = (),
    name: str = "",
    defaults: dict | None = None,
) -> Batch:
    """A draft batch with one row per uploaded file or library image."""
    op = importer.find_operation(operation)
    if op is None or op.params_from_values is not None:
        raise BatchInputError("Choose an operation that works on an image.")
    total = len(uploads) + len(assets)
    if not total:
        raise BatchInputError("Choose some images: upload files or pick them from your library.")
    _plan_size_check(user=user, rows=total)
    checker = importer.DryRun(user=user, default_operation=op.key, defaults=defaults)
    plans: list[RowPlan] = []
    number = 0
    for upload in uploads:
        number += 1
        try:
            asset = asset_create_from_upload(
                owner=user, uploaded=upload, filename=upload.name, size=upload.size
            )
        except ValidationError as exc:
            plans.append(
                RowPlan(number=number, values={"file": upload.name}, error=" ".join(exc.messages))
            )
            continue
        plans.append(checker.row(number, {"file": upload.name}, asset=asset))
    for asset in assets:
        number += 1
        plans.append(checker.row(number, {"file": asset.display_title}, asset=asset))
    with transaction.atomic():
        batch = Batch(
            owner=user,
            name=(name or f"Batch of {total} images")[:200],
            kind=Batch.Kind.IMAGES,
            operation=op.key,
            defaults=dict(defaults or {}),
        )
        batch.full_clean()
        batch.save()
        _save_rows(batch, plans)
    return batch


# --------------------------------------------------------------------------- dry run


@dataclass
class Summary:
    rows: int
    valid: int
    invalid: int
    total: int  # credits of the valid rows
    available: int
    balance_after: int


def batch_summary(*, batch: Batch) -> Summary:
    agg = batch.rows.aggregate(
        rows=Count("id"),
        valid=Count("id", filter=~Q(status=BatchRow.Status.INVALID)),
        total=Sum("credits", filter=Q(status=BatchRow.Status.READY)),
    )
    account = billing.account_for(user=batch.owner)
    total = agg["total"] or 0
    return Summary(
        rows=agg["rows"],
        valid=agg["valid"],
        invalid=agg["rows"] - agg["valid"],
        total=total,
        available=account.available,
        balance_after=account.available - total,
    )


# --------------------------------------------------------------------------- approve


def batch_approve(
    *,
    batch: Batch,
    numbers: list[int] | None = None,
    fit: bool = False,
    scheduled_at: datetime | None = None,
    notify: bool = True,
) -> list[BatchRow]:
    """Approve valid rows (all, or those ``numbers``) and hold their credits, in one
    transaction. When the balance can't cover them: ``BatchRefused`` with the shortfall,
    or with ``fit`` only the leading rows that fit are approved. Returns the approved rows.
    """
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Batch.Status.DRAFT:
            raise BatchRefused("This batch was approved already.")
        account = billing.account_lock(user=locked.owner)
        ready = list(locked.rows.filter(status=BatchRow.Status.READY).order_by("number"))
        if numbers is not None:
            wanted = set(numbers)
            chosen = [r for r in ready if r.number in wanted]
        else:
            chosen = ready
        if not chosen:
            raise BatchRefused("Choose at least one valid row to run.")
        total = sum(r.credits for r in chosen)
        available = account.available
        if total > available:
            fitting, running = [], 0
            for row in chosen:
                if running + row.credits <= available:
                    fitting.append(row)
                    running += row.credits
            if not fit or not fitting:
                raise BatchRefused(
                    f"These {len(chosen)} rows cost {total} credits and you have {available}: "
                    f"{total - available} more are needed.",
                    shortfall=total - available,
                    fitting=len(fitting),
                )
            chosen = fitting
        _hold_rows(locked, chosen)
        BatchRow.objects.bulk_update(chosen, ["hold_id", "status"], batch_size=500)
        chosen_ids = {r.pk for r in chosen}
        locked.rows.filter(status=BatchRow.Status.READY).exclude(pk__in=chosen_ids).update(
            status=BatchRow.Status.SKIPPED
        )
        now = timezone.now()
        later = scheduled_at is not None and scheduled_at > now
        locked.status = Batch.Status.SCHEDULED if later else Batch.Status.RUNNING
        locked.scheduled_at = scheduled_at
        locked.notify = notify
        if not later:
            locked.started_at = now
        locked.save(update_fields=["status", "scheduled_at", "notify", "started_at"])
        if later:
            _start_task.apply_async_on_commit(args=[locked.pk], eta=scheduled_at, queue="batch")
        else:
            _start_task.apply_async_on_commit(args=[locked.pk], queue="batch")
    batch.refresh_from_db()
    return chosen


# --------------------------------------------------------------------------- running


def batch_start(*, batch_id: int) -> str:
    """Start a due scheduled batch, fetch the rows' image URLs, dispatch rows."""
    now = timezone.now()
    Batch.objects.filter(pk=batch_id, status=Batch.Status.SCHEDULED, scheduled_at__lte=now).update(
        status=Batch.Status.RUNNING, started_at=now
    )
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status not in (Batch.Status.RUNNING, Batch.Status.PAUSED):
        return batch.status if batch else "missing"
    batch_fetch_inputs(batch=batch)
    batch_dispatch(batch_id=batch.pk)
    batch_check_finished(batch_id=batch.pk)
    return batch.status


def _needs_fetch(batch: Batch):
    return batch.rows.filter(status=BatchRow.Status.WAITING, input_asset__isnull=True).exclude(
        image_url=""
    )


def batch_fetch_inputs(*, batch: Batch) -> int:
    """Download the waiting rows' images (concurrently, in chunks, dispatching after each);
    a failed download fails its row with the reason and releases its credits."""
    from .fetch import FetchError, fetch_many

    fetched = 0
    while True:
        rows = list(_needs_fetch(batch).order_by("number")[:FETCH_CHUNK])
        if not rows:
            return fetched
        results = fetch_many([r.image_url for r in rows])
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, FetchError):
                _row_fail(row, result.message)
                continue
            try:
                from django.core.files.uploadedfile import SimpleUploadedFile

                upload = SimpleUploadedFile(result.filename, result.data, result.content_type)
                asset = asset_create_from_upload(
                    owner=batch.owner, uploaded=upload, filename=result.filename, size=upload.size
                )
            except ValidationError as exc:
                _row_fail(row, " ".join(exc.messages))
                continue
            BatchRow.objects.filter(pk=row.pk, input_asset__isnull=True).update(input_asset=asset)
            fetched += 1
        batch_dispatch(batch_id=batch.pk)


def _row_fail(row: BatchRow, message: str) -> None:
    """Fail a row that never got a job: its hold is released at once."""
    with transaction.atomic():
        changed = BatchRow.objects.filter(pk=row.pk, status=BatchRow.Status.WAITING).update(
            status=BatchRow.Status.FAILED, error=message[:2000], finished_at=timezone.now()
        )
        if changed and row.hold_id:
            billing.hold_release(job_id=row.hold_id, reason=f"Failed: {message[:200]}")
    batch_check_finished(batch_id=row.batch_id)


_local = threading.local()


def lease_ttl() -> float:
    return float(settings.CELERY_TASK_TIME_LIMIT + 120)


def batch_dispatch(*, batch_id: int) -> int:
    """Give waiting rows jobs while their provider and the user's plan have room.

    Returns how many rows started. Re-entrant calls (a job finishing inline, eager mode)
    only ask the running pass to go round again.
    """
    if getattr(_local, "dispatching", False):
        _local.again = True
        return 0
    _local.dispatching = True
    started = 0
    try:
        while True:
            _local.again = False
            started += _dispatch_pass(batch_id)
            if not _local.again:
                break
    finally:
        _local.dispatching = False
    return started


def _dispatch_pass(batch_id: int) -> int:
    batch = Batch.objects.select_related("owner").filter(pk=batch_id).first()
    if batch is None or batch.status != Batch.Status.RUNNING:
        return 0
    user = batch.owner
    plan = billing.subscription_for(user=user).plan
    room = (
        plan.max_concurrent_jobs
        - Job.objects.filter(owner=user, status__in=Job.ACTIVE_STATUSES).count()
    )
    started = 0
    pending = False
    waiting = (
        batch.rows.filter(status=BatchRow.Status.WAITING)
        .filter(Q(image_url="") | Q(input_asset__isnull=False))
        .select_related("input_asset")
    )
    # Per provider, at most as many rows as may start: a full provider or a full plan
    # costs one short query, however many rows wait.
    providers = sorted(waiting.order_by().values_list("provider", flat=True).distinct())
    for provider in providers:
        if room <= 0:
            pending = True
            break
        for row in waiting.filter(provider=provider).order_by("number")[:room]:
            if not limiter().acquire(provider, str(row.hold_id), ttl=lease_ttl()):
                pending = True
                break
            if _row_start(batch, row):
                started += 1
                room -= 1
        else:
            if room <= 0 and waiting.filter(provider=provider).exists():
                pending = True
    if pending:
        _poll_later(batch_id)
    return started


def _row_start(batch: Batch, row: BatchRow) -> bool:
    try:
        operation = get_operation(row.operation)
    except KeyError:
        limiter().release(row.provider, str(row.hold_id))
        _row_fail(row, "This operation is no longer available.")
        return False
    inputs = [row.input_asset] if row.input_asset_id else []
    if inputs and inputs[0].status != Asset.Status.READY:
        limiter().release(row.provider, str(row.hold_id))
        _row_fail(row, "The input image is in the trash.")
        return False
    try:
        with transaction.atomic():
            now = timezone.now()
            if not BatchRow.objects.filter(pk=row.pk, status=BatchRow.Status.WAITING).update(
                status=BatchRow.Status.RUNNING, started_at=now
            ):
                return False  # another dispatcher started it (it holds the same lease)
            params = dict(row.params)
            if inputs and operation.expand_params is not None:
                params = operation.expand_params(params, inputs)
            job = job_create(
                user=batch.owner,
                operation=operation,
                params=params,
                inputs=inputs,
                queue=Job.Queue.BATCH,
                held_as=row.hold_id,
            )
            BatchRow.objects.filter(pk=row.pk).update(job=job, attempts=row.attempts + 1)
    except Exception:
        logger.exception("batch row %s could not start", row.pk)
        limiter().release(row.provider, str(row.hold_id))
        _row_fail(row, "This row could not be started. Its credits were not charged.")
        return False
    return True


def _poll_later(batch_id: int, seconds: float = 1.0) -> None:
    """Look again soon for rows that wait for a slot (deduplicated per batch)."""
    from imagestudio.celery import app

    if app.conf.task_always_eager:
        return  # in-process runs dispatch again when a job ends
    if cache.add(f"batch-poll:{batch_id}", 1, timeout=seconds):
        _dispatch_task.apply_async(args=[batch_id], countdown=seconds, queue="batch")


def batch_row_provider_done(*, job_id: int) -> None:
    """A row's provider call returned: its slot goes to the next row while this row's job
    stores its results (the provider limit rations calls, not our own storage work)."""
    row = (
        BatchRow.objects.filter(job_id=job_id, status=BatchRow.Status.RUNNING)
        .only("pk", "batch_id", "provider", "hold_id")
        .first()
    )
    if row is None:
        return
    limiter().release(row.provider, str(row.hold_id))
    batch_dispatch(batch_id=row.batch_id)


def batch_row_finished(*, job_id: int) -> None:
    """A row's job ended: record it, free its provider slot, start the next rows."""
    row = BatchRow.objects.filter(job_id=job_id).select_related("job").first()
    if row is None:
        return
    job = row.job
    status = {
        Job.Status.SUCCEEDED: BatchRow.Status.SUCCEEDED,
        Job.Status.FAILED: BatchRow.Status.FAILED,
        Job.Status.CANCELED: BatchRow.Status.CANCELED,
    }.get(job.status)
    if status is None:
        return
    BatchRow.objects.filter(pk=row.pk, status=BatchRow.Status.RUNNING).update(
        status=status,
        error=job.error if status == BatchRow.Status.FAILED else "",
        credits_charged=job.credits_charged,
        finished_at=job.finished_at or timezone.now(),
    )
    limiter().release(row.provider, str(row.hold_id))
    batch_dispatch(batch_id=row.batch_id)
    batch_check_finished(batch_id=row.batch_id)


def batch_check_finished(*, batch_id: int) -> bool:
    """Finish a running batch with no open rows left (and send its email once)."""
    if BatchRow.objects.filter(batch_id=batch_id, status__in=BatchRow.OPEN_STATUSES).exists():
        return False
    with transaction.atomic():
        changed = Batch.objects.filter(
            pk=batch_id, status__in=[Batch.Status.RUNNING, Batch.Status.PAUSED]
        ).update(status=Batch.Status.FINISHED, finished_at=timezone.now())
        if changed:
            _notify_task.apply_async_on_commit(args=[batch_id], queue="batch")
    return bool(changed)


def batches_tick() -> dict[str, int]:
    """The safety net: start due scheduled batches, settle rows whose job ended without
    word (a process died after the commit), dispatch running batches."""
    now = timezone.now()
    started = settled = 0
    for pk in Batch.objects.filter(
        status=Batch.Status.SCHEDULED, scheduled_at__lte=now
    ).values_list("pk", flat=True):
        _start_task.apply_async(args=[pk], queue="batch")
        started += 1
    ended = BatchRow.objects.filter(
        status=BatchRow.Status.RUNNING, job__status__in=Job.TERMINAL_STATUSES
    ).values_list("job_id", flat=True)
    for job_id in list(ended):
        batch_row_finished(job_id=job_id)
        settled += 1
    for pk in Batch.objects.filter(status=Batch.Status.RUNNING).values_list("pk", flat=True):
        if _needs_fetch(Batch(pk=pk)).exists():
            _start_task.apply_async(args=[pk], queue="batch")
        else:
            batch_dispatch(batch_id=pk)
            batch_check_finished(batch_id=pk)
    # An email that could not be sent is tried again (for a day).
    for pk in Batch.objects.filter(
        status=Batch.Status.FINISHED,
        notify=True,
        notified_at__isnull=True,
        finished_at__gte=now - timedelta(days=1),
    ).values_list("pk", flat=True):
        _notify_task.apply_async(args=[pk], queue="batch")
    return {"started": started, "settled": settled}


# --------------------------------------------------------------------------- controls


def batch_pause(*, batch: Batch) -> bool:
    """Stop starting rows; running rows finish."""
    changed = Batch.objects.filter(pk=batch.pk, status=Batch.Status.RUNNING).update(
        status=Batch.Status.PAUSED
    )
    batch.refresh_from_db()
    return bool(changed)


def batch_resume(*, batch: Batch) -> bool:
    changed = Batch.objects.filter(pk=batch.pk, status=Batch.Status.PAUSED).update(
        status=Batch.Status.RUNNING
    )
    if changed:
        _start_task.apply_async_on_commit(args=[batch.pk], queue="batch")
    batch.refresh_from_db()
    return bool(changed)


def batch_cancel(*, batch: Batch) -> int:
    """Cancel: waiting rows are released at once, running jobs stop at their next
    checkpoint (their holds are released by the pipeline). Returns rows canceled now."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in Batch.ACTIVE_STATUSES:
            return 0
        locked.status = Batch.Status.CANCELED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        waiting = list(locked.rows.filter(status=BatchRow.Status.WAITING))
        for row in waiting:
            billing.hold_release(job_id=row.hold_id, reason="Batch canceled")
        locked.rows.filter(pk__in=[r.pk for r in waiting]).update(
            status=BatchRow.Status.CANCELED, finished_at=timezone.now()
        )
        running = list(locked.rows.filter(status=BatchRow.Status.RUNNING).select_related("job"))
    for row in running:
        if row.job is not None:
            job_cancel(job=row.job)
    for row in waiting:
        limiter().release(row.provider, str(row.hold_id))
    batch.refresh_from_db()
    return len(waiting)


def batch_retry(*, batch: Batch, numbers: list[int] | None = None) -> list[BatchRow]:
    """Run failed rows again (all, or ``numbers``) with new holds; ``BatchRefused`` when
    the balance does not cover them."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status in (Batch.Status.DRAFT, Batch.Status.CANCELED):
            raise BatchRefused("Only rows of a running or finished batch can be retried.")
        failed = locked.rows.filter(status=BatchRow.Status.FAILED).order_by("number")
        if numbers is not None:
            failed = failed.filter(number__in=numbers)
        rows = list(failed)
        if not rows:
            raise BatchRefused("There are no failed rows to retry.")
        account = billing.account_lock(user=locked.owner)
        total = sum(r.credits for r in rows)
        if total > account.available:
            raise BatchRefused(
                f"Retrying costs {total} credits and you have {account.available}: "
                f"{total - account.available} more are needed.",
                shortfall=total - account.available,
            )
        _hold_rows(locked, rows, note=" (retry)")
        for row in rows:
            row.error = ""
            row.job = None
            row.finished_at = None
        BatchRow.objects.bulk_update(rows, ["hold_id", "status", "error", "job", "finished_at"])
        if locked.status == Batch.Status.FINISHED:
            locked.status = Batch.Status.RUNNING
            locked.finished_at = None
            locked.notified_at = None
            locked.save(update_fields=["status", "finished_at", "notified_at"])
        _start_task.apply_async_on_commit(args=[locked.pk], queue="batch")
    batch.refresh_from_db()
    return rows


# --------------------------------------------------------------------------- progress


@dataclass
class Progress:
    counts: dict[str, int]
    approved: int
    done: int
    succeeded: int
    failed: int
    percent: int
    per_minute: float | None
    eta_seconds: int | None
    credits_charged: int


def batch_progress(*, batch: Batch) -> Progress:
    counts = dict(
        batch.rows.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    approved = sum(
        counts.get(s, 0)
        for s in (BatchRow.Status.WAITING, BatchRow.Status.RUNNING, *BatchRow.TERMINAL_STATUSES)
    )
    done = sum(counts.get(s, 0) for s in BatchRow.TERMINAL_STATUSES)
    per_minute = eta = None
    if batch.started_at and done:
        end = batch.finished_at or timezone.now()
        # Rows per minute since the first row started; the estimate converges as rows end.
        first = batch.rows.filter(started_at__isnull=False).order_by("started_at").first()
        since = first.started_at if first else batch.started_at
        elapsed = max(1.0, (end - since).total_seconds())
        per_minute = done / elapsed * 60
        remaining = approved - done
        if remaining and batch.status == Batch.Status.RUNNING:
            eta = int(remaining / (per_minute / 60))
    charged = batch.rows.aggregate(c=Sum("credits_charged"))["c"] or 0
    return Progress(
        counts=counts,
        approved=approved,
        done=done,
        succeeded=counts.get(BatchRow.Status.SUCCEEDED, 0),
        failed=counts.get(BatchRow.Status.FAILED, 0),
        percent=int(100 * done / approved) if approved else 0,
        per_minute=round(per_minute, 1) if per_minute is not None else None,
        eta_seconds=eta,
        credits_charged=charged,
    )
