"""Turning a vendor's failed HTTP answer into one of the errors of :mod:`providers.base`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from ..base import (
    InsufficientProviderBalance,
    ProviderConfigError,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    RequestRefused,
    TransientError,
)
from .redaction import redact

_BALANCE_WORDS = re.compile(
    r"(?i)insufficient[ _](balance|credit|credits|funds|quota)|not enough (balance|credits)"
    r"|exceeded your (monthly )?(included )?credits|balance is (not enough|insufficient)"
    r"|top[ -]?up|payment required"
)


def looks_like_insufficient_balance(message: str) -> bool:
    return bool(_BALANCE_WORDS.search(message or ""))


def response_json(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``None`` when the body is not JSON."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def vendor_message(response: httpx.Response) -> str:
    """The most useful human text in an error body, whatever the vendor's shape."""
    body = response_json(response)
    parts: list[str] = []
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            parts.append(str(err.get("message") or err.get("status") or ""))
        elif isinstance(err, str):
            parts.append(err)
        errors = body.get("errors")
        if isinstance(errors, list):
            parts.extend(str(e) for e in errors)
        for key in ("message", "detail"):
            if isinstance(body.get(key), str) and body[key] not in parts:
                parts.append(body[key])
    text = "; ".join(p for p in parts if p)
    if not text:
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("text/") and response.content:
            text = response.text[:300].strip()
    return text or response.reason_phrase or f"HTTP {response.status_code}"


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    label: str,
    retry_after: float | None = None,
) -> ProviderError:
    """Map an HTTP failure to our error types (vendor modules handle their special cases)."""
    message = redact(message)
    kw: dict[str, Any] = {"provider": provider, "status": status}
    if status == 402 or looks_like_insufficient_balance(message):
        return InsufficientProviderBalance(
            f"{label} account has insufficient balance: {message}", **kw
        )
    if status in (401, 403):
        return ProviderConfigError(f"{label} rejected the API key ({status}): {message}", **kw)
    if status in (400, 404, 409, 413, 422):
        # The server refused this model or these parameters; another model may take them.
        return RequestRefused(f"{label}: {message}", **kw)
    if status == 408:
        return ProviderTimeout(f"{label} timed out: {message}", retry_after=retry_after, **kw)
    if status == 429:
        return RateLimited(
            f"{label} is rate limiting requests: {message}", retry_after=retry_after, **kw
        )
    if status in (500, 502, 503, 504):
        return TransientError(
            f"{label} is temporarily failing ({status}): {message}", retry_after=retry_after, **kw
        )
    return ProviderError(f"{label} returned HTTP {status}: {message}", **kw)


ErrorMapper = Callable[[httpx.Response, "float | None"], ProviderError]


def error_for_response(
    response: httpx.Response, *, provider: str, label: str, retry_after: float | None = None
) -> ProviderError:
    """:func:`error_for_status` for a failed answer, with the vendor's own message."""
    return error_for_status(
        response.status_code,
        vendor_message(response),
        provider=provider,
        label=label,
        retry_after=retry_after,
    )
