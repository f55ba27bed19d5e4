"""HTTP plumbing shared by the remote providers.

This is the only module that builds an ``httpx.Client``. It owns:

* the client itself (explicit timeouts, a ``User-Agent``, one connection pool per provider);
* :meth:`ProviderHTTP.request`, which retries transient faults with exponential backoff and
  jitter, honours ``Retry-After`` and gives up after a capped number of attempts or an overall
  deadline;
* :func:`poll_until`, the loop behind every asynchronous job (deadline and cancellation);
* :meth:`ProviderHTTP.download` and :meth:`ProviderHTTP.stream_output`, which spool large
  outputs (video, GLB) to a temporary file instead of holding them in memory;
* the mapping of HTTP failures to the error types of :mod:`providers.base`;
* redaction, so that an API key never reaches an exception message or a log record;
* :class:`RemoteProvider`, the common shape of every vendor module.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import io
import logging
import math
import random
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import metadata
from typing import Any, ClassVar, TypeVar

import httpx
from PIL import Image

from .base import (
    CancelCheck,
    Canceled,
    Capability,
    InsufficientProviderBalance,
    InvalidInput,
    ModelSpec,
    ProgressCallback,
    ProviderConfigError,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    ProviderTimeout,
    RateLimited,
    TransientError,
    validate_request,
)

T = TypeVar("T")


def _version() -> str:
    try:
        return metadata.version("imagestudio")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "0.0.0"


USER_AGENT = f"ImageStudio/{_version()}"

#: Statuses worth retrying: rate limiting and the gateway/overload family.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


# --------------------------------------------------------------------------- redaction

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


log = get_logger("providers.http")


# --------------------------------------------------------------------------- time & policy


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
class Timeouts:
    """Socket timeouts in seconds; ``read`` bounds the wait for each chunk of a response."""

    connect: float = 5.0
    read: float = 90.0
    write: float = 60.0
    pool: float = 10.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class RetryPolicy:
    """How one logical call retries transient faults."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 180.0  # seconds for the call including every retry and wait
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


# --------------------------------------------------------------------------- error mapping

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
        return InvalidInput(f"{label}: {message}", **kw)
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


# --------------------------------------------------------------------------- client


def build_client(
    *,
    timeouts: Timeouts | None = None,
    transport: httpx.BaseTransport | None = None,
    max_connections: int = 10,
) -> httpx.Client:
    """The one constructor of ``httpx.Client`` in the code base."""
    return httpx.Client(
        timeout=(timeouts or Timeouts()).as_httpx(),
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
        follow_redirects=False,
    )


class ProviderHTTP:
    """A provider's pooled HTTP client with retries, polling, streaming and error mapping.

    Credentials are added per request (``auth=True``), never as client defaults, so a
    download from a vendor's CDN does not carry the API key to another host.
    """

    def __init__(
        self,
        provider: str,
        *,
        label: str = "",
        base_url: str,
        auth_headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        error_mapper: ErrorMapper | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.provider = provider
        self.label = label or provider
        self.base_url = base_url.rstrip("/")
        self._auth_headers = dict(auth_headers or {})
        self._secrets = tuple(
            v.split(" ", 1)[-1] for v in self._auth_headers.values() if v and v.strip()
        )
        for secret in self._secrets:
            register_secret(secret)
        self.retry = retry or RetryPolicy()
        self.clock = clock or SYSTEM_CLOCK
        self.client = build_client(timeouts=timeouts, transport=transport)
        self._error_mapper = error_mapper
        self._rand = rand

    def __repr__(self) -> str:
        return f"<ProviderHTTP {self.provider} {self.base_url}>"

    def close(self) -> None:
        self.client.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    # ------------------------------------------------------------------ errors

    def map_error(self, response: httpx.Response) -> ProviderError:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=self.clock.wall())
        if self._error_mapper is not None:
            return self._error_mapper(response, retry_after)
        return error_for_status(
            response.status_code,
            vendor_message(response),
            provider=self.provider,
            label=self.label,
            retry_after=retry_after,
        )

    def redact(self, text: object) -> str:
        return redact(text, self._secrets)

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        retry: RetryPolicy | None = None,
        ok: Callable[[httpx.Response], bool] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request, retrying transient faults; return the (successful) response.

        ``ok`` decides which responses count as success (default: any 2xx). Failures are
        raised as :class:`~providers.base.ProviderError` subclasses.
        """
        with self._send(
            method, path, auth=auth, retry=retry, ok=ok, headers=headers, **kwargs
        ) as r:
            r.read()
            return r

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Like :meth:`request` but the body is not read: iterate it, it closes on exit."""
        with self._send(method, path, stream=True, **kwargs) as response:
            yield response

    @contextlib.contextmanager
    def _send(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        retry: RetryPolicy | None = None,
        ok: Callable[[httpx.Response], bool] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> Iterator[httpx.Response]:
        policy = retry or self.retry
        url = self.url(path)
        all_headers = {**(self._auth_headers if auth else {}), **(headers or {})}
        follow_redirects = bool(kwargs.pop("follow_redirects", False))
        started = self.clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            request = self.client.build_request(method, url, headers=all_headers, **kwargs)
            try:
                response = self.client.send(request, stream=True, follow_redirects=follow_redirects)
            except httpx.TimeoutException as exc:
                error: ProviderError = ProviderTimeout(
                    f"{self.label} did not answer in time ({type(exc).__name__}).",
                    provider=self.provider,
                )
            except httpx.TransportError as exc:
                error = TransientError(
                    f"Could not reach {self.label} ({type(exc).__name__}).",
                    provider=self.provider,
                )
            else:
                success = ok(response) if ok else response.is_success
                if success:
                    try:
                        if not stream:
                            response.read()
                        yield response
                    finally:
                        response.close()
                    return
                try:
                    response.read()
                finally:
                    response.close()
                error = self.map_error(response)
            elapsed = self.clock.monotonic() - started
            if not error.transient or attempt >= policy.max_attempts:
                log.warning(
                    "%s %s failed for good after %d attempt(s): %s",
                    method,
                    self.redact(url),
                    attempt,
                    self.redact(error),
                )
                raise error
            delay = (
                error.retry_after
                if error.retry_after is not None
                else policy.backoff(attempt, self._rand)
            )
            if elapsed + delay > policy.deadline:
                log.warning(
                    "%s %s: giving up, the next retry would pass the %gs deadline: %s",
                    method,
                    self.redact(url),
                    policy.deadline,
                    self.redact(error),
                )
                raise ProviderTimeout(
                    f"{self.label} did not succeed within {policy.deadline:g} s "
                    f"({attempt} attempts; last error: {error.user_message})",
                    provider=self.provider,
                    status=error.status,
                    retry_after=error.retry_after,
                )
            log.info(
                "%s %s: %s; retry %d/%d in %.2fs",
                method,
                self.redact(url),
                self.redact(error),
                attempt,
                policy.max_attempts - 1,
                delay,
            )
            self.clock.sleep(delay)

    # ------------------------------------------------------------------ outputs

    def download(
        self,
        url: str,
        *,
        auth: bool = False,
        max_bytes: int | None = None,
        content_type: str = "",
        seed: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ProviderOutput:
        """Stream ``url`` into a spooled :class:`ProviderOutput` (no credentials by default)."""
        if not url.startswith(("http://", "https://")):
            raise ProviderError(
                f"{self.label} returned an unusable output address.", provider=self.provider
            )
        with self.stream("GET", url, auth=auth, follow_redirects=True) as response:
            return self.spool_response(
                response, max_bytes=max_bytes, content_type=content_type, seed=seed, meta=meta
            )

    def spool_response(
        self,
        response: httpx.Response,
        *,
        max_bytes: int | None = None,
        content_type: str = "",
        seed: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ProviderOutput:
        """Write a streamed response body to a spooled output, enforcing ``max_bytes``."""
        ctype = content_type or response.headers.get("content-type", "").split(";")[0].strip()
        failure: list[ProviderError] = []

        def chunks() -> Iterator[bytes]:
            # Errors stop the stream instead of escaping ProviderOutput.spooled(), so the
            # half-written spool can be closed below rather than leaked.
            total = 0
            try:
                for chunk in response.iter_bytes(64 * 1024):
                    total += len(chunk)
                    if max_bytes is not None and total > max_bytes:
                        failure.append(
                            ProviderError(
                                f"{self.label} returned a file larger than {max_bytes} bytes.",
                                provider=self.provider,
                            )
                        )
                        return
                    yield chunk
            except httpx.TimeoutException:
                failure.append(
                    ProviderTimeout(
                        f"{self.label} stalled while sending a file.", provider=self.provider
                    )
                )
            except httpx.TransportError as exc:
                failure.append(
                    TransientError(
                        f"{self.label} broke off while sending a file ({type(exc).__name__}).",
                        provider=self.provider,
                    )
                )

        out = ProviderOutput.spooled(
            chunks(),
            content_type=ctype or "application/octet-stream",
            seed=seed,
            meta=dict(meta or {}),
        )
        if failure:
            if out.file is not None:
                out.file.close()
            raise failure[0]
        return finish_output(out)


# --------------------------------------------------------------------------- polling


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


def poll_job(
    submit: Callable[[], Any],
    check: Callable[[Any], T | None],
    **poll_kwargs: Any,
) -> T:
    """Submit an asynchronous job, then :func:`poll_until` ``check(handle)`` is done."""
    handle = submit()
    return poll_until(lambda: check(handle), **poll_kwargs)


# --------------------------------------------------------------------------- media helpers

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "model/gltf-binary": "glb",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
}
_FORMAT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
OUTPUT_FORMAT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "webp": "image/webp",
}


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "bin")


def sniff_content_type(data: bytes) -> str:
    """Best guess of a file's type from its first bytes."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"glTF"):
        return "model/gltf-binary"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    return "application/octet-stream"


def image_size(data: bytes) -> tuple[int, int, str]:
    """``(width, height, content_type)`` of an encoded image, read from its header only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                return img.width, img.height, _FORMAT_TYPES.get(img.format or "", "image/png")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidInput("The image is too large to process.") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidInput("The file is not a readable image.") from exc


def finish_output(out: ProviderOutput) -> ProviderOutput:
    """Fill in ``width``/``height``/``extension`` of an output from its bytes when possible."""
    ctype = out.content_type.split(";")[0].strip().lower()
    if ctype in ("", "application/octet-stream", "binary/octet-stream"):
        head = out.open().read(16) if out.file is not None else (out.data or b"")[:16]
        ctype = sniff_content_type(head)
        out.content_type = ctype
    if ctype.startswith("image/") and (out.width is None or out.height is None):
        data = out.data if out.data is not None else out.open().read()
        try:
            w, h, real_type = image_size(data)
        except InvalidInput:
            pass
        else:
            out.width, out.height = w, h
            out.content_type = real_type
        if out.file is not None:
            out.file.seek(0)
    if not out.extension:
        out.extension = extension_for(out.content_type)
    return out


def image_output(
    data: bytes,
    *,
    content_type: str = "",
    seed: int | None = None,
    meta: dict[str, Any] | None = None,
) -> ProviderOutput:
    """An in-memory output for image bytes, with its real size and type."""
    out = ProviderOutput(
        content_type=content_type or sniff_content_type(data),
        data=data,
        seed=seed,
        meta=dict(meta or {}),
    )
    return finish_output(out)


def b64decode(value: str, *, label: str) -> bytes:
    """Decode base64 (plain or a ``data:`` URI) or raise a ProviderError naming ``label``."""
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(f"{label} returned undecodable image data.") from exc


def data_uri(data: bytes, content_type: str = "") -> str:
    ctype = content_type or sniff_content_type(data)
    return f"data:{ctype};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class InputLimits:
    """What a model accepts as an input image (checked locally, before any upload)."""

    min_side: int | None = None
    max_side: int | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    max_aspect: float | None = None  # e.g. 2.5 for "between 1:2.5 and 2.5:1"
    max_bytes: int | None = None


def check_input_image(
    data: bytes, limits: InputLimits, *, label: str = "The input image"
) -> tuple[int, int]:
    """Return ``(width, height)`` of ``data`` or raise InvalidInput explaining the limit broken."""
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise InvalidInput(f"{label} is larger than {limits.max_bytes // (1024 * 1024)} MB.")
    w, h, _ = image_size(data)
    if limits.min_side and min(w, h) < limits.min_side:
        raise InvalidInput(f"{label} must be at least {limits.min_side} px on each side ({w}×{h}).")
    if limits.max_side and max(w, h) > limits.max_side:
        raise InvalidInput(f"{label} must be at most {limits.max_side} px on each side ({w}×{h}).")
    if limits.min_pixels and w * h < limits.min_pixels:
        raise InvalidInput(f"{label} must have at least {limits.min_pixels:,} pixels ({w}×{h}).")
    if limits.max_pixels and w * h > limits.max_pixels:
        raise InvalidInput(f"{label} must have at most {limits.max_pixels:,} pixels ({w}×{h}).")
    if limits.max_aspect and max(w, h) / min(w, h) > limits.max_aspect:
        raise InvalidInput(
            f"{label} is too elongated ({w}×{h}); the ratio must stay within "
            f"1:{limits.max_aspect:g} and {limits.max_aspect:g}:1."
        )
    return w, h


def nearest_aspect_ratio(width: int, height: int, choices: Iterable[str]) -> str:
    """The ratio in ``choices`` (like ``"16:9"``) closest to ``width``×``height``."""

    def value(ratio: str) -> float:
        a, b = ratio.split(":")
        return float(a) / float(b)

    target = math.log(width / height)
    return min(choices, key=lambda r: abs(math.log(value(r)) - target))


# --------------------------------------------------------------------------- provider base


class RemoteProvider:
    """Shared behaviour of the HTTP providers.

    Subclasses declare ``name``, ``label``, ``MODELS``, their auth headers and an error
    mapper, and implement :meth:`_call`, which performs one call producing at most
    ``spec.max_outputs_per_call`` outputs. :meth:`run` validates first, so a request a model
    cannot take never reaches the network.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    short_label: ClassVar[str] = ""
    default_base: ClassVar[str] = ""
    #: Unit of ``ModelSpec.unit_price`` and its indicative value in US dollars (for ranking).
    price_unit: ClassVar[str] = "usd"
    usd_per_unit: ClassVar[float] = 1.0
    #: Seed range the vendor accepts.
    seed_range: ClassVar[tuple[int, int]] = (0, 2_147_483_647)
    max_prompt_chars: ClassVar[int] = 10_000
    default_timeouts: ClassVar[Timeouts] = Timeouts()
    default_retry: ClassVar[RetryPolicy] = RetryPolicy()

    def __init__(
        self,
        api_key: str = "",
        base_url: str = "",
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        poll_interval: float | None = None,
        poll_timeout: float | None = None,
    ) -> None:
        self._api_key = (api_key or "").strip()
        register_secret(self._api_key)
        self.base_url = (base_url or self.default_base).rstrip("/")
        self._timeouts = timeouts or self.default_timeouts
        self._retry = retry or self.default_retry
        self.clock = clock or SYSTEM_CLOCK
        self._transport = transport
        self._poll_interval = poll_interval
        self._poll_timeout = poll_timeout
        self._http: ProviderHTTP | None = None
        self._http_lock = threading.Lock()

    def __repr__(self) -> str:
        state = "configured" if self.is_configured() else "not configured"
        return f"<{type(self).__name__} {self.name} {self.base_url} ({state})>"

    # ------------------------------------------------------------------ protocol

    def is_configured(self) -> bool:
        return bool(self._api_key)

    def models(self) -> list[ModelSpec]:
        raise NotImplementedError

    def model(self, model_id: str) -> ModelSpec:
        for spec in self.models():
            if spec.id == model_id:
                return spec
        raise InvalidInput(f"{self.label} has no model {model_id!r}.", provider=self.name)

    def model_for(self, capability: Capability) -> ModelSpec:
        """The default model for ``capability``: the first declared that can do it."""
        for spec in self.models():
            if capability in spec.capabilities:
                return spec
        raise InvalidInput(
            f"{self.label} cannot do {capability.value.replace('_', ' ')}.", provider=self.name
        )

    def accepts_mask(self, spec: ModelSpec) -> bool:
        """Whether ``spec`` takes a mask (``ModelSpec`` only records when one is required)."""
        return spec.requires_mask

    def run(
        self,
        request: ProviderRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> ProviderResult:
        spec = self.model(request.model) if request.model else self.model_for(request.capability)
        params = validate_request(spec, request)
        self._check_common(spec, request)
        params = self.prepare(spec, request, params)
        if not self.is_configured():
            raise ProviderConfigError(f"{self.label} is not configured.", provider=self.name)
        started = self.clock.monotonic()
        outputs = []
        meta: dict[str, Any] = {}
        remaining = request.n
        call = 0
        while remaining > 0:
            if cancel is not None and cancel():
                raise Canceled("Canceled.", provider=self.name)
            batch = min(remaining, max(1, spec.max_outputs_per_call))
            sub = replace(request, n=batch)
            if call and request.seed is not None:
                # Distinct, reproducible seeds for the extra calls of a multi-output request.
                sub.seed = (request.seed + call) % (self.seed_range[1] + 1)
            result = self._call(spec, sub, params, progress=progress, cancel=cancel)
            outputs.extend(result.outputs)
            for key, value in result.meta.items():
                meta.setdefault(key, value)
            remaining -= batch
            call += 1
        meta["latency_ms"] = round((self.clock.monotonic() - started) * 1000, 1)
        if progress is not None:
            progress(100, "Done")
        return ProviderResult(provider=self.name, model=spec.id, outputs=outputs, meta=meta)

    def _check_common(self, spec: ModelSpec, request: ProviderRequest) -> None:
        if request.mask is not None and not self.accepts_mask(spec):
            raise InvalidInput(f"{spec.label} does not take a mask.", provider=self.name)
        if len(request.prompt) > self.max_prompt_chars:
            raise InvalidInput(
                f"The prompt is longer than {self.max_prompt_chars:,} characters.",
                provider=self.name,
            )
        if len(request.negative_prompt) > self.max_prompt_chars:
            raise InvalidInput(
                f"The negative prompt is longer than {self.max_prompt_chars:,} characters.",
                provider=self.name,
            )
        if request.seed is not None:
            low, high = self.seed_range
            if not low <= request.seed <= high:
                raise InvalidInput(
                    f"The seed must be between {low} and {high}.", provider=self.name
                )

    def prepare(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        """Model-specific checks that need no network; returns the params to send."""
        return params

    def _call(
        self,
        spec: ModelSpec,
        request: ProviderRequest,
        params: dict[str, Any],
        *,
        progress: ProgressCallback | None,
        cancel: CancelCheck | None,
    ) -> ProviderResult:
        raise NotImplementedError

    # ------------------------------------------------------------------ http

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def map_error(self, response: httpx.Response, retry_after: float | None) -> ProviderError:
        return error_for_status(
            response.status_code,
            vendor_message(response),
            provider=self.name,
            label=self.label,
            retry_after=retry_after,
        )

    @property
    def http(self) -> ProviderHTTP:
        """This provider's pooled client (built on first use)."""
        with self._http_lock:
            if self._http is None:
                self._http = ProviderHTTP(
                    self.name,
                    label=self.label,
                    base_url=self.base_url,
                    auth_headers=self.auth_headers(),
                    timeouts=self._timeouts,
                    retry=self._retry,
                    clock=self.clock,
                    transport=self._transport,
                    error_mapper=self.map_error,
                )
            return self._http

    def close(self) -> None:
        with self._http_lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def poll(
        self,
        check: Callable[[], T | None],
        *,
        interval: float,
        timeout: float,
        cancel: CancelCheck | None,
        progress: ProgressCallback | None,
        label: str,
    ) -> T:
        return poll_until(
            check,
            interval=self._poll_interval if self._poll_interval is not None else interval,
            timeout=self._poll_timeout if self._poll_timeout is not None else timeout,
            clock=self.clock,
            cancel=cancel,
            progress=progress,
            label=label,
            provider=self.name,
        )

    def _error(self, cls: type[ProviderError], message: str, **kwargs: Any) -> ProviderError:
        return cls(redact(message, (self._api_key,)), provider=self.name, **kwargs)


__all__ = [
    "USER_AGENT",
    "Clock",
    "InputLimits",
    "ProviderHTTP",
    "RemoteProvider",
    "RetryPolicy",
    "Timeouts",
    "build_client",
    "check_input_image",
    "data_uri",
    "describe_request",
    "error_for_status",
    "get_logger",
    "image_output",
    "parse_retry_after",
    "poll_job",
    "poll_until",
    "redact",
    "register_secret",
]
