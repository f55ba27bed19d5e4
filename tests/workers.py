"""Celery's embedded worker (a thread of the test process) for the end-to-end tests."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

from celery.contrib.testing.worker import start_worker
from celery.fixups.django import DjangoWorkerFixup


def _close_every_time(fixup, **kwargs) -> None:
    fixup._close_database()


@contextmanager
def embedded_worker(app, **kwargs):
    """``start_worker`` whose thread closes its database connections around every task.

    A deployed worker keeps its connection from task to task (``CELERY_DB_REUSE_MAX``);
    this one's thread ends with the block, and a connection it kept would be left open
    until the garbage collector found it, in whichever test runs then.
    """
    options = {"pool": "solo", "perform_ping_check": False, "shutdown_timeout": 10} | kwargs
    with (
        mock.patch.object(DjangoWorkerFixup, "close_database", _close_every_time),
        start_worker(app, **options) as worker,
    ):
        yield worker
