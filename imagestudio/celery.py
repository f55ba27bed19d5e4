import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestudio.settings")

app = Celery("imagestudio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(sender=None, **kwargs) -> None:
    """Before and after each task, close the worker's database connections that are broken
    or older than ``DB_CONN_MAX_AGE`` (Django does the same around each request); the others
    are kept for the next task (see ``CELERY_DB_REUSE_MAX`` in the settings). Not for a task
    run eagerly: it runs inside its caller's request or transaction."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections as close

    close()
