"""The one pipeline every operation runs through.

create (quote, hold, enqueue on commit) → claim (queued→running, once) → run the provider
with progress → store outputs through ``assets`` → capture the hold and succeed; or fail /
cancel and release the hold. Every state change is a conditional UPDATE, so a redelivered
or duplicated task never runs the work twice and never charges twice.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assets.models import Asset
from assets.services import asset_create_output, asset_update_analysis
from billing import pricing
from billing import services as billing
from providers.base import (
    Canceled,
    ProviderError,
    ProviderRequest,
)

from .models import Job
from .provider_health import app_registry
from .registry import Operation, get_operation
from .tasks import job_run_task as _job_run_task

logger = logging.getLogger(__name__)

GENERIC_FAILURE = (
    "Something went wrong on our side while running this job. Your credits were not charged."
)


class JobRetryLater(Exception):
    """A transient failure: the task should retry after ``countdown`` seconds."""

    def __init__(self, message: str, countdown: float) -> None:
        super().__init__(message)
        self.message = message
        self.countdown = countdown


def job_quote(*, operation: Operation, params: dict[str, Any]) -> pricing.Quote:
    """What a job with these params costs: the same figure the pipeline holds and captures."""
    return pricing.estimate(
        # An operation whose price depends on the method chosen (e.g. Upscale's Auto) names
        # the price key in its params, settled by its expand_params hook before any hold.
        operation=params.get("price_key") or operation.price_key or operation.key,
        provider=params.get("provider") or operation.provider,
        model=params.get("model", ""),
        tier=params.get("tier", ""),
        quantity=operation.quantity(params),
        seconds=float(params.get("seconds") or 0),
    )


def _preflight_kwargs(
    *, user, operation: Operation, params: dict[str, Any], inputs: list | None = None
) -> dict[str, Any]:
    return {
        "module": operation.module,
        "provider": params.get("provider") or operation.provider,
        "model": params.get("model", ""),
        "active_jobs": Job.objects.filter(owner=user, status__in=Job.ACTIVE_STATUSES).count(),
        **operation.limits(params, inputs or []),
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
) -> Job:
    """Create a queued job, place its credit hold and enqueue it once the row is committed.

    Give the form's ``cleaned`` data (turned into params by the catalog), or ready ``params``
    (a retry). Raises ``billing.services.BillingError`` (nothing created) when credits
    don't cover it.
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
        # Pre-flight inside the transaction that places the hold, with the account row
        # locked first: the running-jobs count and the balance it checks are the ones the
        # hold sees, and a parallel request waits for this one.
        billing.account_lock(user=user)
        billing.preflight(
            user=user,
            quote=quote,
            **_preflight_kwargs(user=user, operation=operation, params=params, inputs=inputs),
        )
        job.full_clean()
        job.save()
        job.inputs.set(inputs)
        billing.hold_place(
            user=user,
            job_id=job.public_id,
            amount=quote.credits,
            module=operation.module,
            provider=job.provider,
            reason=operation.label,
        )
        _job_run_task.apply_async_on_commit(args=[job.pk], queue=job.queue)
    return job


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
    return True


def _job_progress(job_id: int, percent: int, message: str) -> None:
    """Report progress; touches the heartbeat so the sweeper knows the worker lives."""
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        progress=max(0, min(99, percent)), message=message[:255], heartbeat_at=timezone.now()
    )


def _job_report(job_id: int, detail: list) -> None:
    """Per-item progress (e.g. one entry per variation) for the job card, while running."""
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        result={"items": detail}, heartbeat_at=timezone.now()
    )


class _CancelProbe:
    """Callable telling the provider whether the user canceled; asks the DB at most 1×/s."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.checked_at = 0.0
        self.canceled = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.canceled and now - self.checked_at >= 1.0:
            self.checked_at = now
            status = Job.objects.filter(pk=self.job_id).values_list("status", flat=True).first()
            self.canceled = status != Job.Status.RUNNING
        return self.canceled


def _claim(job_id: int) -> bool:
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            progress=0,
            message="Starting…",
        )
    )


def _read_input(asset: Asset) -> bytes:
    with asset.file.open("rb") as fh:
        return fh.read()


def job_run(*, job_id: int, retries_left: int = 0) -> str:
    """Run a queued job to the end. Returns the job's final (or current) status.

    Safe to call more than once for the same job: only the call that claims it works.
    Raises ``JobRetryLater`` on a transient provider fault when retries are left (the job is
    back in ``queued``); otherwise every failure ends as a failed job with its hold released.
    """
    if not _claim(job_id):
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        logger.info("job %s not claimed (status %s): another delivery owns it", job_id, status)
        return status or "missing"
    job = Job.objects.select_related("owner").get(pk=job_id)
    try:
        operation = get_operation(job.operation)
    except KeyError:
        job_fail(
            job_id=job.pk,
            message="This operation is no longer available.",
            code="unknown_operation",
        )
        return Job.Status.FAILED
    started = time.monotonic()
    try:
        inputs = job.ordered_inputs()
        _job_progress(job.pk, 5, operation.progress_message)
        params = dict(job.params)
        if operation.prepare is not None:
            params = operation.prepare(
                params=params,
                inputs=inputs,
                progress=lambda pct, msg: _job_progress(job.pk, pct, msg),
            )
        output_format = params.pop("output_format", "png")
        request = ProviderRequest(
            capability=operation.capability,
            model=job.model or operation.model,
            image=_read_input(inputs[0]) if inputs else None,
            mask=_read_input(inputs[1]) if operation.uses_mask and len(inputs) > 1 else None,
            output_format=output_format,
            params=params,
        )
        if operation.runner is not None:
            result = operation.runner(
                params=params,
                inputs=inputs,
                progress=lambda pct, msg: _job_progress(job.pk, 5 + int(pct * 0.8), msg),
                cancel=_CancelProbe(job.pk),
                report=lambda detail: _job_report(job.pk, detail),
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
        return Job.Status.CANCELED
    except ProviderError as exc:
        if exc.transient and retries_left > 0:
            countdown = exc.retry_after or min(60, 2 ** (job.attempts + 1))
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


def discard_assets(assets: list[Asset]) -> None:
    """Delete assets made for a job that will not keep them, files first."""
    for asset in assets:
        for f in (asset.file, asset.thumbnail):
            if f:
                f.storage.delete(f.name)
        if asset.pk:
            Asset.objects.filter(pk=asset.pk).delete()


def _job_finish(
    *, job: Job, operation: Operation, created: list[Asset], meta: dict, inputs: list[Asset]
) -> str:
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status != Job.Status.RUNNING:
            # Canceled (or swept) while we worked: the user keeps their credits and we keep
            # no half-wanted results.
            transaction.on_commit(lambda: discard_assets(created))
            return locked.status
        if operation.output == "analysis" and inputs:
            if "palette" in meta:
                asset_update_analysis(asset=inputs[0], palette=meta["palette"])
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
        if units is not None and units < operation.quantity(locked.params):
            # Partial success: charge only what was made, at the quoted price.
            partial = {**locked.params, "variations": units}
            amount = job_quote(operation=operation, params=partial).credits
        entry = billing.hold_capture(
            job_id=locked.public_id, amount=amount, provider=meta.get("provider_used", "")
        )
        locked.outputs.set(created)
        locked.status = Job.Status.SUCCEEDED
        locked.progress = 100
        locked.message = _done_message(operation, created, meta)
        locked.result = {k: v for k, v in meta.items() if _json_safe(v)}
        locked.credits_charged = -entry.amount if entry else 0
        locked.finished_at = timezone.now()
        if operation.on_success is not None:
            operation.on_success(job=locked, inputs=inputs, created=created)
        locked.save(
            update_fields=[
                "status",
                "progress",
                "message",
                "result",
                "credits_charged",
                "finished_at",
            ]
        )
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
    for job in stale.only("pk", "attempts", "queue"):
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
                _job_run_task.apply_async_on_commit(args=[job.pk], queue=job.queue)
                requeued += 1
    lost = Job.objects.filter(status=Job.Status.QUEUED).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    for job in lost.only("pk", "queue"):
        # Touch the heartbeat so the next sweep waits a full period before trying again.
        if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            heartbeat_at=timezone.now()
        ):
            _job_run_task.apply_async(args=[job.pk], queue=job.queue)
            reenqueued += 1
    return {"requeued": requeued, "failed": failed, "reenqueued": reenqueued}
