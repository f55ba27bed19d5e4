"""The loop behind every asynchronous provider job: poll until done, a deadline, or cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..base import CancelCheck, Canceled, ProgressCallback, ProviderTimeout
from .retry import SYSTEM_CLOCK, Clock

T = TypeVar("T")


def poll_until(
    check: Callable[[], T | None],
    *,
    interval: float,
    timeout: float,
    clock: Clock | None = None,
    cancel: CancelCheck | None = None,
    progress: ProgressCallback | None = None,
    label: str = "The job",
    provider: str = "",
) -> T:
    """Call ``check`` until it returns something other than ``None``, and return that.

    Sleeps ``interval`` seconds between calls. ``cancel()`` is consulted before every poll
    and after every sleep (:class:`~providers.base.Canceled`); when the next wait would pass
    ``timeout`` seconds, :class:`~providers.base.ProviderTimeout` is raised instead.
    """
    clock = clock or SYSTEM_CLOCK
    started = clock.monotonic()
    polls = 0
    while True:
        if cancel is not None and cancel():
            raise Canceled("Canceled.", provider=provider)
        result = check()
        polls += 1
        if result is not None:
            return result
        elapsed = clock.monotonic() - started
        if elapsed + interval > timeout:
            raise ProviderTimeout(
                f"{label} did not finish within {timeout:g} s.", provider=provider
            )
        if progress is not None:
            # An asymptotic bar: it moves on every poll and never claims to be done.
            progress(min(95, 10 + int(85 * (1 - 0.85**polls))), f"{label}: still working…")
        if cancel is not None and cancel():
            raise Canceled("Canceled.", provider=provider)
        clock.sleep(interval)
