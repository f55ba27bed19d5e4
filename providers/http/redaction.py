"""Keeping API keys out of exception messages and log records."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

import httpx

_known_secrets: set[str] = set()
_secrets_lock = threading.Lock()

_SECRET_PATTERNS = (
    # "Authorization: Bearer abc", whatever the casing.
    re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=:-]{8,}"),
    # key=..., api_key: ..., token=..., x-goog-api-key: ... (query strings, headers, JSON)
    re.compile(
        r"(?i)\b((?:x-goog-)?api[_-]?key|access[_-]?token|token|key)"
        r"(\"?\s*[:=]\s*\"?)[A-Za-z0-9._~+/-]{8,}"
    ),
    # Well-known key shapes: Hugging Face, OpenAI, Google.
    re.compile(r"\b(hf_|sk-(?:proj-)?)([A-Za-z0-9_-]{8,})"),
    re.compile(r"\b(AIza)([A-Za-z0-9_-]{20,})"),
)

REDACTED = "***"


def register_secret(secret: str) -> None:
    """Remember ``secret`` so :func:`redact` and the log filter scrub it everywhere."""
    secret = (secret or "").strip()
    if len(secret) >= 4:
        with _secrets_lock:
            _known_secrets.add(secret)


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` as a string with API keys and bearer tokens replaced by ``***``.

    Every secret passed in or registered with :func:`register_secret` is removed verbatim;
    anything shaped like a credential (``Bearer …``, ``key=…``, ``hf_…``, ``sk-…``) is masked
    too, so an unregistered key echoed by a vendor does not leak either.
    """
    out = str(text)
    with _secrets_lock:
        known = set(_known_secrets)
    for secret in sorted(
        known.union(s for s in secrets if s and len(s) >= 4), key=len, reverse=True
    ):
        out = out.replace(secret, REDACTED)
    out = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", out)
    out = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", out)
    out = _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    out = _SECRET_PATTERNS[3].sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    return out


_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "x-goog-api-key", "cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` safe to log or show."""
    return {
        k: (REDACTED if k.lower() in _SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()
    }


def describe_request(request: httpx.Request) -> str:
    """One-line, key-free description of an outgoing request (for logs and debugging)."""
    return f"{request.method} {redact(request.url)} headers={redact_headers(request.headers)}"


class RedactingFilter(logging.Filter):
    """Scrub secrets from a record's final message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """Return a logger that redacts secrets in its own records."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
