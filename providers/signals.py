"""Signals the provider clients send, for code that paces work across many calls.

``provider_rate_limited(provider, retry_after)``: a provider answered a call with a rate
limit (HTTP 429), whether the client then waits and retries it or gives up. Sent from the
thread that made the call; ``retry_after`` is the server's wait in seconds, or None.
"""

from django.dispatch import Signal

provider_rate_limited = Signal()
