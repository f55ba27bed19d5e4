"""Who retries what, and the time source retries sleep on.

One failure, one layer:

* **Within one call** (:class:`RetryPolicy`, applied by :class:`~providers.http.client.ProviderHTTP`):
  short waits only. A transport fault (connection refused or reset, a socket timeout) or a
  transient answer (429, 5xx, a model still loading) is retried here when the wait before the
  next attempt — the server's ``Retry-After`` or our jittered backoff — is at most
  ``max_wait`` seconds, for at most ``max_attempts`` attempts inside a ``deadline`` for the
  whole call. The worker stays on the request, so these waits must stay small.
* **The whole call, later** (the job pipeline's task): a transient error whose wait is longer
  than ``max_wait`` (a rate limit with ``Retry-After: 60``, a cold model that needs 20 s) is
  raised at once with ``retry_later`` set and ``retry_after`` telling when to come back. The
  pipeline re-queues the job for that moment, freeing the worker and telling the user, and
  only for such errors. A transient error that exhausted this call's budget is final for the
  call (Auto may still move to another route).

So a request makes at most ``max_attempts`` HTTP attempts per pipeline run, and the pipeline
runs it at most ``1 + its retry count`` times.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass


class Clock:
    """Monotonic time, wall time and sleeping: swapped for a fake clock in tests."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK = Clock()


@dataclass(frozen=True)
class RetryPolicy:
    """How one call retries transient faults (see the module docstring for the split)."""

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 4.0
    max_wait: float = 5.0  # the longest single wait taken inside the call
    deadline: float = 30.0  # seconds of waiting and trying for the call, all attempts included
    jitter: float = 0.5  # the share of each backoff delay that is randomised

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, jittered."""
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (1 - self.jitter + self.jitter * rand())


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)
