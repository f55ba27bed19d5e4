"""The batch listens to the pipeline and the provider clients: a row's provider call
returned, its job ended, or a provider said 429."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from providers.signals import provider_rate_limited
from studio.jobs.models import Job
from studio.jobs.signals import job_finished, job_provider_done, job_throttled

logger = logging.getLogger(__name__)


@receiver(job_finished, dispatch_uid="batch-row-finished")
def _row_finished(sender, job_id: int, queue: str = Job.Queue.BATCH, **kwargs) -> None:
    if queue != Job.Queue.BATCH:
        return  # batch rows run on the batch queue only
    from .services import batch_row_finished

    try:
        batch_row_finished(job_id=job_id)
    except Exception:
        # The tick settles the row later; a batch problem must not fail the job's task.
        logger.exception("batch bookkeeping failed for job %s", job_id)


@receiver(job_provider_done, dispatch_uid="batch-provider-slot-free")
def _provider_done(sender, job_id: int, queue: str = Job.Queue.BATCH, **kwargs) -> None:
    if queue != Job.Queue.BATCH:
        return
    from .services import batch_row_provider_done

    try:
        batch_row_provider_done(job_id=job_id)
    except Exception:
        # The slot comes back when the job ends; storing the result must go on.
        logger.exception("batch slot hand-over failed for job %s", job_id)


@receiver(provider_rate_limited, dispatch_uid="batch-provider-rate-limited")
def _provider_rate_limited(sender, provider: str, retry_after=None, **kwargs) -> None:
    """Any call's 429 (a batch row's, an interactive job's, one the client waited out)
    slows the provider down for every batch."""
    from .limits import limiter

    if provider:
        try:
            limiter().throttle(provider, retry_after=retry_after)
        except Exception:
            # Pacing is best effort; the call itself must go on.
            logger.exception("could not record a rate limit of %s", provider)


@receiver(job_throttled, dispatch_uid="batch-provider-throttled")
def _provider_throttled(sender, job_id: int, provider: str, retry_after=None, **kwargs) -> None:
    from .limits import limiter

    if provider:
        limiter().throttle(provider, retry_after=retry_after)
