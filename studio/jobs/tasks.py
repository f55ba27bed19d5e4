"""Thin Celery tasks: load by id, call a service, return."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache

from providers.base import ProviderError

from .provider_health import app_registry

logger = logging.getLogger(__name__)

# The pipeline's services enqueue these tasks, so the tasks import the services when they
# run (a module-level import would close a services <-> tasks cycle).

#: Re-runs of a job whose provider asked to come back later (see ``services`` on retries).
MAX_RETRIES = 2


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def job_run_task(self, job_id: int, operation: str = "") -> str:
    """Run job ``job_id``; ``operation`` is its operation key (tasks sent before it was
    given, or without it, work the same with one more query)."""
    from .services import TIMEOUT_FAILURE, JobRetryLater, job_fail, job_run

    try:
        return job_run(
            job_id=job_id,
            retries_left=self.max_retries - self.request.retries,
            operation=operation,
        )
    except JobRetryLater as exc:
        raise self.retry(countdown=exc.countdown, exc=exc) from None
    except SoftTimeLimitExceeded:
        job_fail(job_id=job_id, message=TIMEOUT_FAILURE, code="timeout")
        return "failed"


@shared_task
def jobs_sweep() -> dict:
    from .services import jobs_sweep as sweep

    return sweep()


BALANCE_CACHE_KEY = "provider-balances"


@shared_task(acks_late=True)
def providers_refresh_balances() -> dict:
    """Ask each configured provider that has a balance endpoint, and cache the answers."""
    balances: dict = {"_at": time.time()}
    for provider in app_registry().configured():
        balance = getattr(provider, "balance", None)
        if not callable(balance):
            continue
        try:
            balances[provider.name] = balance()
        except ProviderError as exc:
            balances[provider.name] = f"unavailable: {exc.user_message}"
    cache.set(BALANCE_CACHE_KEY, balances, 3600)
    return balances
