"""Background work of the library: renditions, file deletion, trash retention.

Every task is routed to the "maintenance" queue (``assets.tasks.*`` in the settings) and
is safe to run more than once.
"""

from __future__ import annotations

from celery import shared_task

# Each task imports the service it runs when it runs: the services enqueue these tasks, so a
# module-level import here would close a services <-> tasks import cycle.


@shared_task(ignore_result=True)
def rendition_create_task(asset_id: int, spec: str) -> bool:
    from .services import rendition_get_or_create

    return rendition_get_or_create(asset_id=asset_id, spec=spec) is not None


@shared_task(ignore_result=True)
def files_delete_task(names: list[str]) -> int:
    from .services import files_delete

    return files_delete(names=names)


@shared_task(ignore_result=True)
def trash_purge_task() -> int:
    from .services import trash_purge_expired

    return trash_purge_expired()
