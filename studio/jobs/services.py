"""The one pipeline every operation runs through.

create (quote, hold, enqueue on commit) → claim (queued→running, once) → run the provider
with progress → store outputs through ``assets`` → capture the hold and succeed; or fail /
cancel and release the hold. Every state change is a conditional UPDATE, so a redelivered
or duplicated task never runs the work twice and never charges twice.

Retries: one layer per failure. The provider's HTTP client retries short faults inside the
call (a dropped connection, a 5xx, a 429 or a loading model whose wait is at most a few
seconds): at most ``RetryPolicy.max_attempts`` (3) attempts within its deadline. A fault
that names a longer wait (``Retry-After: 60``, a model that needs 20 s to load) comes back
at once with ``retry_later`` set, and only then does this pipeline re-queue the job, after
that wait (capped at ``MAX_COUNTDOWN``), at most ``tasks.MAX_RETRIES`` (2) times. A fault
the client already retried to the end fails the job (Create's Auto tries its next route
first). Worst case for one request: (1 + 2) runs × 3 attempts = 9 HTTP attempts, waiting
at most 3 × the client's 30 s deadline plus 2 × ``MAX_COUNTDOWN``.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import Image

from assets.library_cache import library_changed
from assets.models import Asset
from assets.services import asset_create_output, asset_palette_add, asset_update_analysis
from billing import pricing
from billing import services as billing
from billing.models import CreditAccount
from providers.base import (
    Canceled,
    ProviderConfigError,
    ProviderError,
    ProviderRequest,
    ProviderUnavailable,
)

from .models import Job, JobFile
from .provider_health import app_registry
from .registry import OPERATIONS, Operation, get_operation
from .signals import job_finished, job_provider_done, job_throttled
from .tasks import job_run_task as _job_run_task

logger = logging.getLogger(__name__)

#: The longest a job waits in the queue before it runs again for a provider's Retry-After.
MAX_COUNTDOWN = 300.0

GENERIC_FAILURE = (
    "Something went wrong on our side while running this job. Your credits were not charged."
)
TIMEOUT_FAILURE = "This job took too long and was stopped. Your credits were not charged."
#: How long past the soft time limit a job may go on before its heartbeat ends it (a worker
#: with a thread pool has no time limits of its own; on a process pool the limit comes first).
TIME_LIMIT_GRACE = 30.0


class JobRetryLater(Exception):
    """A transient failure: the task should retry after ``countdown`` seconds."""

    def __init__(self, message: str, countdown: float) -> None:
        super().__init__(message)
        self.message = message
        self.countdown = countdown


def job_quote(*, operation: Operation, params: dict[str, Any]) -> pricing.Quote:
    """What a job with these params costs: the same figure the pipeline holds and captures."""
    provider = params.get("provider") or operation.provider
    return pricing.estimate(
        # An operation whose price depends on the method chosen (e.g. Upscale's Auto) names
        # the price key in its params, settled by its expand_params hook before any hold.
        operation=params.get("price_key") or operation.price_key or operation.key,
        provider=provider,
        # Offline models are priced per operation and are in every plan.
        model=params.get("model", "") if provider != "local" else "",
        tier=params.get("tier", ""),
        quantity=operation.quantity(params),
        seconds=float(params.get("seconds") or 0),
    )


def _preflight_kwargs(
    *,
    user,
    operation: Operation,
    params: dict[str, Any],
    inputs: list | None = None,
    counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    provider = params.get("provider") or operation.provider
    return {
        "module": operation.module,
        "provider": provider,
        # Plans list provider models; the offline engine's models are in every plan.
        "model": params.get("model", "") if provider != "local" else "",
        **(counts if counts is not None else _job_counts(user)),
        **operation.limits(params, inputs or []),
    }


def _job_conditions() -> tuple[Q, Q]:
    """Which jobs count against the plan: (queued or running, started in the last hour).

    A batch's rows are not "started" one by one: the batch was approved as a whole, within
    the plan's batch size, so its rows don't use up the hourly cap on what one submits."""
    hour_ago = timezone.now() - timedelta(hours=1)
    active = Q(status__in=Job.ACTIVE_STATUSES)
    recent = Q(created_at__gte=hour_ago) & ~Q(queue=Job.Queue.BATCH)
    return active, recent


def _job_counts(user) -> dict[str, int]:
    """The user's queued + running jobs and the jobs they started in the last hour, in one
    query (each part on its own index)."""
    active, recent = _job_conditions()
    return Job.objects.filter(active | recent, owner=user).aggregate(
        active_jobs=Count("pk", filter=active), jobs_last_hour=Count("pk", filter=recent)
    )


def _job_count_columns() -> dict[str, Coalesce]:
    """``_job_counts`` as two columns of a query on the user's credit account, so the
    account lock reads them in the same round trip."""
    owned = Job.objects.filter(owner=OuterRef("user_id")).order_by().values("owner")
    return {
        name: Coalesce(Subquery(owned.filter(cond).annotate(n=Count("pk")).values("n")), 0)
        for name, cond in zip(("active_jobs", "jobs_last_hour"), _job_conditions(), strict=True)
    }


def job_check(
    *, user, operation: Operation, params: dict[str, Any], inputs: list | None = None
) -> billing.QuoteCheck:
    """The live estimate for the cost button: the price and whether pre-flight allows it.

    The same quote and the same pre-flight checks that ``job_create`` applies.
    """
    try:
        quote = job_quote(operation=operation, params=params)
    except billing.BillingError as exc:
        return billing.quote_denied(error=exc)
    return billing.quote_check(
        user=user,
        quote=quote,
        **_preflight_kwargs(user=user, operation=operation, params=params, inputs=inputs),
    )


def job_create(
    *,
    user,
    operation: Operation,
    inputs: list[Asset],
    cleaned: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    queue: str = Job.Queue.INTERACTIVE,
    retry_of: Job | None = None,
    files: dict[str, Any] | None = None,
    held_as: uuid.UUID | None = None,
) -> Job:
    """Create a queued job, place its credit hold and enqueue it once the row is committed.

    Give the form's ``cleaned`` data (turned into params by the catalog), or ready ``params``
    (a retry). ``files`` are private inputs that are not library images (``{"mask": upload}``;
    uploads or bytes), kept as the job's ``JobFile`` rows. Raises
    ``billing.services.BillingError`` (nothing created, nothing stored) when credits don't
    cover it.

    ``held_as``: the credits were quoted, checked and held earlier under this id (e.g. a
    batch row approved ahead of its turn); the job takes it as its public id and the
    pipeline captures or releases that hold, with no second pre-flight or hold.
    """
    if params is None:
        params = operation.build_params(cleaned or {}, inputs)
    quote = job_quote(operation=operation, params=params)
    with transaction.atomic():
        job = Job(
            owner=user,
            module=operation.module,
            operation=operation.key,
            params=params,
            provider=params.get("provider") or operation.provider,
            model=params.get("model") or operation.model,
            queue=queue,
            credits_estimated=quote.credits,
            message="Waiting for a worker…",
            retry_of=retry_of,
            input_order=[a.pk for a in inputs],
        )
        # The owner is the signed-in user and the public id a fresh UUID (or a hold's,
        # unique in the ledger already): no lookups for them; the constraints still hold.
        validate = {"exclude": ["owner", "retry_of"], "validate_unique": False}
        if held_as is not None:
            job.public_id = held_as
            job.has_files = bool(files)
            job.full_clean(**validate)
            job.save()
            if inputs:
                job.inputs.set(inputs)
            _enqueue(job, on_commit=True)
            return job
        # Pre-flight inside the transaction that places the hold, with the account row
        # locked first: the running-jobs count and the balance it checks are the ones the
        # hold sees, and a parallel request waits for this one.
        # One statement locks the account and reads the plan and the job counts with it.
        account = billing.account_lock(user=user, with_plan=True, **_job_count_columns())
        counts = {"active_jobs": account.active_jobs, "jobs_last_hour": account.jobs_last_hour}
        billing.preflight(
            user=user,
            quote=quote,
            account=account,
            subscription=getattr(account.user, "subscription", None),
            **_preflight_kwargs(
                user=user, operation=operation, params=params, inputs=inputs, counts=counts
            ),
        )
        job.has_files = bool(files)
        job.full_clean(**validate)
        job.save()
        if inputs:
            job.inputs.set(inputs)
        billing.hold_place(
            user=user,
            job_id=job.public_id,
            amount=quote.credits,
            module=operation.module,
            provider=job.provider,
            reason=operation.label,
            account=account,
            new=True,
        )
        stored: list[JobFile] = []
        try:
            for role, content in (files or {}).items():
                stored.append(_job_file_store(job=job, role=role, content=content))
        except Exception:
            # The transaction rolls the rows back; the storage is not transactional.
            for item in stored:
                item.file.storage.delete(item.file.name)
            raise
        _enqueue(job, on_commit=True)
    return job


def _enqueue(job: Job, *, on_commit: bool = False) -> None:
    """Send ``job`` to a worker (once the current transaction commits, with ``on_commit``).
    The task carries the operation key so the worker claims the job in one statement."""
    send = _job_run_task.apply_async_on_commit if on_commit else _job_run_task.apply_async
    send(args=[job.pk], kwargs={"operation": job.operation}, queue=job.queue)


def _job_file_store(*, job: Job, role: str, content: Any) -> JobFile:
    """Save one private input file of ``job`` (an upload, a Django ``File`` or bytes)."""
    if isinstance(content, bytes):
        data, name = content, f"{role}.png"
    else:
        content.seek(0)
        data, name = content.read(), getattr(content, "name", "") or f"{role}.png"
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except (OSError, ValueError):  # not an image: the form decided it may be stored
        width = height = None
    item = JobFile(job=job, role=role, width=width, height=height)
    item.file.save(name, ContentFile(data), save=False)
    item.full_clean()
    item.save()
    return item


def job_files_read(*, job: Job) -> dict[str, bytes]:
    """The job's private input files by role (``{"mask": b"..."}``)."""
    found: dict[str, bytes] = {}
    for item in job.files.all():
        with item.file.open("rb") as fh:
            found[item.role] = fh.read()
    return found


def job_retry(*, job: Job) -> Job:
    """Run a failed or canceled job again as a new job (new quote, new hold)."""
    operation = get_operation(job.operation)
    inputs = job.ordered_inputs()
    if any(a.status != Asset.Status.READY for a in inputs):
        raise billing.BillingError(
            "An image this job used is in the trash. Restore it to run the job again."
        )
    return job_create(
        user=job.owner,
        operation=operation,
        params=dict(job.params),
        inputs=inputs,
        queue=job.queue,
        retry_of=job,
        files=job_files_read(job=job),
    )


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued or running job and give its credits back. False if it had ended."""
    with transaction.atomic():
        changed = Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE_STATUSES).update(
            status=Job.Status.CANCELED,
            message="Canceled",
            finished_at=timezone.now(),
        )
        if changed:
            billing.hold_release(job_id=job.public_id, reason="Canceled")
            _announce_finished(job.pk, job.queue)
    job.refresh_from_db()
    return bool(changed)


def job_fail(*, job_id: int, message: str, code: str = "error") -> bool:
    """Mark an unfinished job failed with a human message and release its hold."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in Job.ACTIVE_STATUSES:
            return False
        job.status = Job.Status.FAILED
        job.error = message
        job.error_code = code
        job.message = "Failed"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "error_code", "message", "finished_at"])
        billing.hold_release(job_id=job.public_id, reason=f"Failed: {message[:200]}")
        _announce_finished(job.pk, job.queue)
    return True


def _announce_finished(job_id: int, queue: str) -> None:
    """Send ``job_finished`` once the transaction that ended the job has committed."""
    transaction.on_commit(lambda: job_finished.send(sender=Job, job_id=job_id, queue=queue))


@functools.cache
def _running_update_sql(vendor: str, columns: tuple[str, ...], *, wait_for_flush: bool) -> str:
    """``_running_update``'s statement for these columns, built once per shape."""
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(column)} = %s" for column in columns)
    no_wait = (
        ""
        if wait_for_flush
        else " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS touch"
    )
    # Names from the model's metadata only; every value is a parameter.
    return (
        f"UPDATE {qn(Job._meta.db_table)} SET {assignments}{no_wait} "  # noqa: S608
        f"WHERE {qn('id')} = %s AND {qn('status')} = %s"
    )


def _running_update(job_id: int, **values: Any) -> int:
    """Update a running job's progress fields (never its state); the rows changed.

    On PostgreSQL, outside a transaction, the update commits without waiting for its WAL
    flush (a few ms on each call otherwise): a progress report or heartbeat lost to a
    database crash is only an older figure on the job card, and the next one replaces it.
    """
    fields = [Job._meta.get_field(name) for name in values]
    wait = connection.vendor != "postgresql" or connection.in_atomic_block
    sql = _running_update_sql(
        connection.vendor, tuple(f.column for f in fields), wait_for_flush=wait
    )
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, job_id, Job.Status.RUNNING])
        return cursor.rowcount


def _job_progress(job_id: int, percent: int, message: str) -> None:
    """Report progress; touches the heartbeat so the sweeper knows the worker lives."""
    _running_update(
        job_id,
        progress=max(0, min(99, percent)),
        message=message[:255],
        heartbeat_at=timezone.now(),
    )


def _job_report(job_id: int, detail: list) -> None:
    """Per-item progress (e.g. one entry per variation) for the job card, while running."""
    _running_update(job_id, result={"items": detail}, heartbeat_at=timezone.now())


class _CancelProbe:
    """Callable telling the provider whether the user canceled; asks the DB at most 1×/s,
    the first time a second after the job was claimed (it was running then)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.checked_at = time.monotonic()
        self.canceled = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.canceled and now - self.checked_at >= 1.0:
            self.checked_at = now
            status = Job.objects.filter(pk=self.job_id).values_list("status", flat=True).first()
            self.canceled = status != Job.Status.RUNNING
        return self.canceled


@functools.cache
def _claim_sql(vendor: str, *, wait_for_flush: bool) -> str:
    """The claim's ``UPDATE … RETURNING`` (every column of the row), built once per shape.

    Without ``wait_for_flush`` (PostgreSQL, autocommit) the statement also turns
    ``synchronous_commit`` off for its own transaction, which ends with it."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in Job._meta.concrete_fields)
    no_wait = (
        ""
        if wait_for_flush
        else (" FROM (SELECT set_config('synchronous_commit', 'off', true)) AS claim")
    )
    # Names from the model's metadata only; every value is a parameter.
    return (
        f"UPDATE {qn(Job._meta.db_table)} SET {qn('status')} = %s, "  # noqa: S608
        f"{qn('attempts')} = {qn('attempts')} + 1, {qn('started_at')} = %s, "
        f"{qn('heartbeat_at')} = %s, {qn('progress')} = %s, {qn('message')} = %s"
        f"{no_wait} WHERE {qn('id')} = %s AND {qn('status')} = %s RETURNING {columns}"
    )


@functools.cache
def _finish_lock_sql(vendor: str) -> str:
    """``_finish_lock``'s statement, built once."""
    qn = connection.ops.quote_name
    lock = " FOR UPDATE OF j, a" if connection.features.has_select_for_update_of else ""
    # Names from the models' metadata only; the job id is a parameter.
    return (
        f"SELECT a.*, j.{qn('status')} AS job_status FROM {qn(Job._meta.db_table)} j "  # noqa: S608
        f"JOIN {qn(CreditAccount._meta.db_table)} a ON a.{qn('user_id')} = j.{qn('owner_id')} "
        f"WHERE j.{qn('id')} = %s{lock}"
    )


def _claim(job_id: int, *, operation: str = "") -> tuple[Job | None, Operation | None]:
    """Take a queued job (queued → running) for this worker: ``(job, operation)`` as the row
    is now, or ``(None, None)`` if another delivery took it or it ended meanwhile.

    ``operation`` is the job's operation key as the submitter enqueued it: the claim then
    sets its progress message and reads the row back in the one statement (``UPDATE …
    RETURNING``); without it (a task enqueued by the sweeper or before the key was sent)
    the key is read first. On PostgreSQL the claim commits without waiting for its WAL
    flush (``synchronous_commit`` off for that transaction only): a claim lost to a
    database crash leaves the job queued for the sweeper, never run twice nor charged
    twice, and the job's finish, which does wait, flushes the claim before it.
    """
    if not operation:
        operation = Job.objects.filter(pk=job_id).values_list("operation", flat=True).first()
        if operation is None:
            return None, None
    found = OPERATIONS.get(operation)
    message = found.progress_message if found else "Starting…"
    now = timezone.now()
    wait = connection.vendor != "postgresql" or connection.in_atomic_block
    sql = _claim_sql(connection.vendor, wait_for_flush=wait)
    params = [Job.Status.RUNNING, now, now, 5, message[:255], job_id, Job.Status.QUEUED]
    claimed = list(Job.objects.raw(sql, params))
    if not claimed:
        return None, None
    job = claimed[0]
    if job.operation != operation:  # not the key it was enqueued with: say what runs
        found = OPERATIONS.get(job.operation)
        job.message = (found.progress_message if found else "Starting…")[:255]
        Job.objects.filter(pk=job.pk).update(message=job.message)
    return job, found


def _read_input(asset: Asset) -> bytes:
    with asset.file.open("rb") as fh:
        return fh.read()


class _Heartbeat:
    """While a job runs in this process, touch its heartbeat every ``JOB_HEARTBEAT_SECONDS``
    from a side thread, so a long step (an upscale, an inpaint, a social pack, a slow
    provider) never looks stale, and ``JOB_STALE_AFTER`` can be a minute or two. A killed
    worker takes the thread with it: the heartbeat stops and the sweeper recovers the job.

    It also keeps the time limit where the worker can't (a thread pool, as batch rows run
    on): a job still running ``TIME_LIMIT_GRACE`` seconds past ``CELERY_TASK_SOFT_TIME_LIMIT``
    is failed with its hold released, as the soft limit would; whatever the stuck call
    returns later is discarded (the job is no longer running)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat")
        self.thread.daemon = True

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        deadline = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT + TIME_LIMIT_GRACE
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                if time.monotonic() > deadline:
                    logger.warning("job %s ran past its time limit: stopping it", self.job_id)
                    job_fail(job_id=self.job_id, message=TIMEOUT_FAILURE, code="timeout")
                    return
                try:
                    _running_update(self.job_id, heartbeat_at=timezone.now())
                except Exception:  # noqa: BLE001 - a missed beat must not stop the job
                    logger.warning("heartbeat of job %s failed", self.job_id, exc_info=True)
        finally:
            connection.close()


def job_run(*, job_id: int, retries_left: int = 0, operation: str = "") -> str:
    """Run a queued job to the end, its heartbeat beating meanwhile (see ``_Heartbeat``).

    ``operation``: the job's operation key, when the task that runs it carries it (saves
    reading the row before claiming it; see ``_claim``)."""
    with _Heartbeat(job_id):
        return _job_run(job_id=job_id, retries_left=retries_left, operation=operation)


def _job_run(*, job_id: int, retries_left: int = 0, operation: str = "") -> str:
    """Run a queued job to the end. Returns the job's final (or current) status.

    Safe to call more than once for the same job: only the call that claims it works.
    Raises ``JobRetryLater`` when the provider asks to come back later (``retry_later``, see
    the module docstring) and retries are left (the job is back in ``queued``); otherwise
    every failure ends as a failed job with its hold released.
    """
    job, operation = _claim(job_id, operation=operation)
    if job is None:
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        logger.info("job %s not claimed (status %s): another delivery owns it", job_id, status)
        return status or "missing"
    if operation is None:
        job_fail(
            job_id=job.pk,
            message="This operation is no longer available.",
            code="unknown_operation",
        )
        return Job.Status.FAILED
    started = time.monotonic()
    try:
        # Every job records its inputs' order when it is created; none means no inputs.
        inputs = job.ordered_inputs() if job.input_order else []
        params = dict(job.params)
        if operation.prepare is not None:
            params = operation.prepare(
                params=params,
                inputs=inputs,
                progress=lambda pct, msg: _job_progress(job.pk, pct, msg),
            )
        output_format = params.pop("output_format", "png")
        files = job_files_read(job=job) if job.has_files else {}
        mask = files.pop("mask", None)
        if mask is None and operation.uses_mask and len(inputs) > 1:
            mask = _read_input(inputs[1])  # jobs from before masks were kept with the job
        if mask is not None and operation.prepare_mask is not None:
            mask = operation.prepare_mask(mask, params)
        routes = params.get("routes")
        request = ProviderRequest(
            capability=operation.capability,
            model=job.model or operation.model,
            image=_read_input(inputs[0]) if inputs else None,
            mask=mask if operation.uses_mask else None,
            extra_images=files,
            output_format=output_format,
            params={k: v for k, v in params.items() if k != "routes"},
        )
        if operation.runner is not None:
            result = operation.runner(
                params=params,
                inputs=inputs,
                **({"files": files} if operation.runner_takes_files else {}),
                progress=lambda pct, msg: _job_progress(job.pk, 5 + int(pct * 0.8), msg),
                cancel=_CancelProbe(job.pk),
                report=lambda detail: _job_report(job.pk, detail),
            )
        elif routes:
            result = _execute_routes(
                job=job,
                request=request,
                routes=routes,
                progress=lambda pct, msg: _job_progress(job.pk, 5 + int(pct * 0.8), msg),
                cancel=_CancelProbe(job.pk),
            )
        else:
            registry = app_registry()
            provider = registry.get(job.provider or operation.provider)
            result = registry.execute(
                provider,
                request,
                progress=lambda pct, msg: _job_progress(job.pk, 5 + int(pct * 0.8), msg),
                cancel=_CancelProbe(job.pk),
            )
    except Canceled:
        # Stopped from outside (canceled by the user, or past its time limit): as it is now.
        return Job.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    except ProviderError as exc:
        if exc.code == "rate_limited":
            job_throttled.send(
                sender=Job, job_id=job.pk, provider=job.provider, retry_after=exc.retry_after
            )
        if exc.retry_later and retries_left > 0:
            countdown = min(MAX_COUNTDOWN, exc.retry_after or 2 ** (job.attempts + 1))
            Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
                status=Job.Status.QUEUED,
                message=f"{exc.user_message} Retrying in {countdown:.0f} s…",
            )
            raise JobRetryLater(exc.user_message, countdown) from exc
        job_fail(job_id=job.pk, message=exc.user_message, code=exc.code)
        return Job.Status.FAILED
    except SoftTimeLimitExceeded:
        raise  # the task fails the job with the time-limit message
    except Exception:
        logger.exception("job %s crashed", job.public_id)
        job_fail(job_id=job.pk, message=GENERIC_FAILURE, code="internal")
        return Job.Status.FAILED

    job_provider_done.send(sender=Job, job_id=job.pk, provider=job.provider, queue=job.queue)
    if result.outputs:
        _job_progress(job.pk, 90, "Saving the result…")
    elapsed_ms = int((time.monotonic() - started) * 1000)
    created: list[Asset] = []
    try:
        parent = inputs[0] if inputs else None
        units = result.meta.get("billable_units", len(result.outputs) or 1)
        for index, output in enumerate(result.outputs):
            meta = dict(output.meta)
            default_title = (parent.display_title if parent else operation.label)[:200]
            if parent:
                default_title += f" ({operation.label.lower()})"
            if len(result.outputs) > 1:
                default_title += f" {index + 1}"
            created.append(
                asset_create_output(
                    owner=job.owner,
                    fh=output.open(),
                    content_type=output.content_type,
                    extension=output.extension,
                    source_module=operation.module,
                    operation=operation.key,
                    parent=parent,
                    source_job_id=job.public_id,
                    title=meta.pop("title", default_title),
                    prompt=meta.pop("prompt", ""),
                    negative_prompt=meta.pop("negative_prompt", ""),
                    provider=meta.pop("provider", result.provider),
                    model=meta.pop("model", result.model),
                    seed=output.seed,
                    params=dict(meta.pop("recipe", None) or job.params),
                    cost_credits=job.credits_estimated // max(1, units),
                    generation_ms=elapsed_ms,
                    metadata=meta,
                )
            )
            if output.file is not None:
                output.file.close()  # a large download spooled to disk (a video)
        return _job_finish(
            job=job, operation=operation, created=created, meta=result.meta, inputs=inputs
        )
    except SoftTimeLimitExceeded:
        discard_assets(created)
        raise
    except Exception:
        logger.exception("job %s could not store its results", job.public_id)
        discard_assets(created)
        job_fail(job_id=job.pk, message=GENERIC_FAILURE, code="storage")
        return Job.Status.FAILED


# Job params that choose and explain the route, or price it; never sent to a model.
_ROUTING_PARAMS = ("provider", "model", "reason", "engine", "tier")
# Job params that are fields of the provider request rather than model parameters.
_REQUEST_FIELDS = ("prompt", "negative_prompt", "seed")


def request_for_model(request: ProviderRequest, spec) -> ProviderRequest:
    """``request`` as the model ``spec`` takes it: the prompt, negative prompt and seed as
    request fields where the model accepts them, and only the parameters it declares (the
    form offers the union of its models' parameters and hides the others)."""
    params = {k: v for k, v in request.params.items() if k not in _ROUTING_PARAMS}
    fields = {name: params.pop(name, None) for name in _REQUEST_FIELDS}
    declared = {p.name for p in spec.params}
    seed = fields["seed"]
    return replace(
        request,
        model=spec.id,
        prompt=str(fields["prompt"] or ""),
        negative_prompt=str(fields["negative_prompt"] or "")
        if spec.accepts_negative_prompt
        else "",
        seed=int(seed) if seed not in (None, "") and spec.accepts_seed else None,
        params={k: v for k, v in params.items() if k in declared},
    )


def _execute_routes(*, job: Job, request: ProviderRequest, routes: list[dict], progress, cancel):
    """Run ``request`` on the job's routes in order (the model picker's choice or Auto's
    ranking). The next route is tried only when a provider is down or not configured, or
    fails transiently on the last route's retry budget; a refused request ends the job."""
    registry = app_registry()
    last: ProviderError | None = None
    for index, route in enumerate(routes):
        try:
            provider = registry.get(route["provider"])
            spec = provider.model(route["model"])
        except (KeyError, ProviderError) as exc:
            last = exc if isinstance(exc, ProviderError) else None
            continue
        try:
            result = registry.execute(
                provider, request_for_model(request, spec), progress=progress, cancel=cancel
            )
        except (ProviderUnavailable, ProviderConfigError) as exc:
            last = exc
        except ProviderError as exc:
            if not exc.transient or index + 1 >= len(routes):
                raise
            last = exc
        else:
            if index:
                result.meta.setdefault("fallback_used", True)
            result.meta.setdefault("provider_used", provider.name)
            if (result.provider, result.model) != (job.provider, job.model):
                Job.objects.filter(pk=job.pk).update(provider=result.provider, model=result.model)
            return result
        logger.info("job %s: route %s failed (%s), trying the next", job.public_id, route, last)
    raise last or ProviderUnavailable("No provider could run this job.")


def discard_assets(assets: list[Asset]) -> None:
    """Delete assets made for a job that will not keep them, files first."""
    for asset in assets:
        for f in (asset.file, asset.thumbnail):
            if f:
                f.storage.delete(f.name)
        if asset.pk:
            Asset.objects.filter(pk=asset.pk).delete()
    for owner_id in {a.owner_id for a in assets}:
        library_changed(owner_id)  # they were counted in the library while they existed


def _finish_lock(job: Job) -> tuple[str, Any]:
    """Lock the job row and its owner's credit account, in one statement and in the order a
    cancel takes them (the job, then the account): ``(the job's status, the account)``,
    the account None when the owner has none yet.

    Only what the finish needs is read: the status (the rest of the job is as the claim
    read it; nothing changes a running job's params) and the account row."""
    rows = list(CreditAccount.objects.raw(_finish_lock_sql(connection.vendor), [job.pk]))
    if rows:
        return rows[0].job_status, rows[0]
    status = Job.objects.select_for_update().filter(pk=job.pk).values_list("status", flat=True)
    return status.get(), None


def _job_finish(
    *, job: Job, operation: Operation, created: list[Asset], meta: dict, inputs: list[Asset]
) -> str:
    """Succeed the running ``job`` (as its claim read it) and charge its hold, in one
    transaction; or, if it was canceled or swept meanwhile, discard ``created``."""
    with transaction.atomic():
        status, account = _finish_lock(job)
        if status != Job.Status.RUNNING:
            # Canceled (or swept) while we worked: the user keeps their credits and we keep
            # no half-wanted results.
            transaction.on_commit(lambda: discard_assets(created))
            return status
        if operation.output == "analysis" and inputs:
            if "palette" in meta:
                asset_palette_add(
                    asset=inputs[0], colours=meta["palette"], mode=job.params.get("mode", "")
                )
            if "focal_point" in meta:
                focal = {
                    **meta["focal_point"],
                    "faces": meta.get("faces", []),
                    "method": meta.get("method", ""),
                    "text": meta.get("text_boxes", []),
                    "source": "auto",
                }
                asset_update_analysis(asset=inputs[0], focal_point=focal)
        amount = None
        units = meta.get("billable_units")
        if units is not None and units < operation.quantity(job.params):
            # Partial success: charge only what was made, at the quoted price.
            partial = {**job.params, "variations": units}
            amount = job_quote(operation=operation, params=partial).credits
        if created:
            job.outputs.set(created)
        # The charge comes last: it locks the user's credit account until the commit.
        entry = billing.hold_capture(
            job_id=job.public_id,
            amount=amount,
            provider=meta.get("provider_used", ""),
            account=account,
        )
        done = {
            "status": Job.Status.SUCCEEDED,
            "progress": 100,
            "message": _done_message(operation, created, meta),
            "result": {k: v for k, v in meta.items() if _json_safe(v)},
            "credits_charged": -entry.amount if entry else 0,
            "finished_at": timezone.now(),
        }
        for name, value in done.items():
            setattr(job, name, value)
        if operation.on_success is not None:
            operation.on_success(job=job, inputs=inputs, created=created)
        Job.objects.filter(pk=job.pk).update(**done)
        _announce_finished(job.pk, job.queue)
    return Job.Status.SUCCEEDED


def _done_message(operation: Operation, created: list[Asset], meta: dict | None = None) -> str:
    failed = (meta or {}).get("failed") or []
    if failed:
        total = len(created) + len(failed)
        return f"{len(created)} of {total} images made; {len(failed)} failed (not charged)"
    if operation.output == "analysis":
        return "Done"
    if len(created) == 1:
        return "Done: 1 new image in your library"
    return f"Done: {len(created)} new images in your library"


def _json_safe(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | list | dict | type(None))


def jobs_sweep() -> dict[str, int]:
    """Recover jobs a dead worker left behind.

    A running job whose heartbeat is older than ``JOB_STALE_AFTER`` goes back to the queue
    (or fails, with its hold released, after ``JOB_MAX_ATTEMPTS``); a queued job that no
    worker picked up in that time is enqueued again (claiming makes duplicates harmless).
    """
    cutoff = timezone.now() - settings.JOB_STALE_AFTER
    requeued = failed = reenqueued = 0
    stale = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff)
    for job in stale.only("pk", "attempts", "queue", "operation"):
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            if job_fail(
                job_id=job.pk,
                message="The worker running this job stopped and it could not be finished. "
                "Your credits were not charged.",
                code="worker_lost",
            ):
                failed += 1
            continue
        with transaction.atomic():
            if Job.objects.filter(
                pk=job.pk, status=Job.Status.RUNNING, heartbeat_at__lt=cutoff
            ).update(
                status=Job.Status.QUEUED,
                message="Restarting after a worker stopped…",
                heartbeat_at=timezone.now(),
            ):
                _enqueue(job, on_commit=True)
                requeued += 1
    lost = Job.objects.filter(status=Job.Status.QUEUED).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    for job in lost.only("pk", "queue", "operation"):
        # Touch the heartbeat so the next sweep waits a full period before trying again.
        if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            heartbeat_at=timezone.now()
        ):
            _enqueue(job)
            reenqueued += 1
    return {"requeued": requeued, "failed": failed, "reenqueued": reenqueued}
