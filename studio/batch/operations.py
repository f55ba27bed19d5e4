"""Batch Processor: many rows through one catalog operation each, as ordinary jobs.

It registers its module (its page is in the navigation) and listens to the pipeline; it
has no operation of its own: each row runs an operation of another module.
"""

from __future__ import annotations

from studio.jobs.registry import Module, register_module

from . import receivers  # noqa: F401  (connects the pipeline signals)

register_module(
    Module(
        key="batch",
        label="Batch",
        order=80,
        description="Hundreds of images in one run: CSV import, dry run with costs, a ZIP.",
        url_name="studio:batch_list",
        runs_others=True,
    )
)
