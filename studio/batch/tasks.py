"""Thin Celery tasks for batches: load by id, call a service, return."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def batch_start_task(batch_id: int) -> str:
    from .services import batch_start

    return batch_start(batch_id=batch_id)


@shared_task(acks_late=True)
def batch_dispatch_task(batch_id: int) -> int:
    from .services import batch_check_finished, batch_dispatch

    started = batch_dispatch(batch_id=batch_id)
    batch_check_finished(batch_id=batch_id)
    return started


@shared_task(acks_late=True)
def batch_notify_task(batch_id: int) -> bool:
    from .results import batch_notify

    return batch_notify(batch_id=batch_id)


@shared_task
def batches_tick() -> dict:
    from .services import batches_tick as tick

    return tick()
