"""HTTP plumbing shared by the remote providers, one module per concern.

* :mod:`.client` — the only place an ``httpx.Client`` is built (explicit timeouts, a
  ``User-Agent``, one pool per provider), requests with per-request credentials, streaming
  downloads spooled to disk;
* :mod:`.retry` — which failures one call retries and which the job pipeline retries, the
  retry policy and the clock;
* :mod:`.polling` — the loop behind every asynchronous job (deadline and cancellation);
* :mod:`.errors` — vendor answers mapped to the error types of :mod:`providers.base`;
* :mod:`.redaction` — no API key in an exception message or a log record;
* :mod:`.media` — content types, image sizes, base64 and input-image limits;
* :mod:`.remote` — :class:`RemoteProvider`, the base every vendor module extends.

The names below are re-exported so ``from providers.http import X`` keeps working.
"""

from .client import USER_AGENT, ProviderHTTP, Timeouts, build_client
from .errors import (
    ErrorMapper,
    error_for_response,
    error_for_status,
    looks_like_insufficient_balance,
    response_json,
    vendor_message,
)
from .media import (
    InputLimits,
    b64decode,
    check_input_image,
    data_uri,
    extension_for,
    finish_output,
    image_output,
    image_size,
    nearest_aspect_ratio,
    sniff_content_type,
)
from .polling import poll_until
from .redaction import (
    REDACTED,
    RedactingFilter,
    describe_request,
    get_logger,
    redact,
    redact_headers,
    register_secret,
)
from .remote import Call, RemoteProvider
from .retry import SYSTEM_CLOCK, Clock, RetryPolicy, parse_retry_after

__all__ = [
    "REDACTED",
    "SYSTEM_CLOCK",
    "USER_AGENT",
    "Call",
    "Clock",
    "ErrorMapper",
    "InputLimits",
    "ProviderHTTP",
    "RedactingFilter",
    "RemoteProvider",
    "RetryPolicy",
    "Timeouts",
    "b64decode",
    "build_client",
    "check_input_image",
    "data_uri",
    "describe_request",
    "error_for_response",
    "error_for_status",
    "extension_for",
    "finish_output",
    "get_logger",
    "image_output",
    "image_size",
    "looks_like_insufficient_balance",
    "nearest_aspect_ratio",
    "parse_retry_after",
    "poll_until",
    "redact",
    "redact_headers",
    "register_secret",
    "response_json",
    "sniff_content_type",
    "vendor_message",
]
