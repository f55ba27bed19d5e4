from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from imagestudio.celery import app as celery_app


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process, as a worker would after the commit.

    The override is removed afterwards (not set back to False), so the app falls back to
    the Django settings again and later tests see the configured behaviour.
    """
    had_override = "task_always_eager" in celery_app.conf.changes
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        if had_override:
            celery_app.conf.task_always_eager = previous
        else:
            celery_app.conf.changes.pop("task_always_eager", None)


def stored_files() -> set[str]:
    """Every file name in the default storage."""
    found: set[str] = set()
    stack = [""]
    while stack:
        d = stack.pop()
        dirs, files = default_storage.listdir(d)
        found |= {f"{d}/{f}" if d else f for f in files}
        stack += [f"{d}/{s}" if d else s for s in dirs]
    return found
