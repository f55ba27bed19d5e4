"""The one place an ``httpx.Client`` is built, and the per-provider client that uses it.

:class:`ProviderHTTP` sends requests with credentials added per request, retries transient
faults as :mod:`providers.http.retry` describes, maps failures through
:mod:`providers.http.errors`, and spools large outputs (video, 3D) to a temporary file.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import httpx

from ..base import ProviderError, ProviderOutput, ProviderTimeout, RateLimited, TransientError
from ..signals import provider_rate_limited
from .errors import ErrorMapper, error_for_response
from .media import finish_output
from .redaction import get_logger, redact, register_secret
from .retry import SYSTEM_CLOCK, Clock, RetryPolicy, parse_retry_after

log = get_logger("providers.http")


def _version() -> str:
    try:
        return metadata.version("imagestudio")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "0.0.0"


USER_AGENT = f"ImageStudio/{_version()}"


@dataclass(frozen=True)
class Timeouts:
    """Socket timeouts in seconds; ``read`` bounds the wait for each chunk of a response."""

    connect: float = 5.0
    read: float = 90.0
    write: float = 60.0
    pool: float = 10.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


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
        return error_for_response(
            response, provider=self.provider, label=self.label, retry_after=retry_after
        )

    def redact(self, text: object) -> str:
        return redact(text, self._secrets)

    # ------------------------------------------------------------------ requests

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying transient faults; return the (successful) response.

        Takes :meth:`_send`'s options (``auth``, ``retry``, ``ok``, ``headers``) and httpx's.
        Failures are raised as :class:`~providers.base.ProviderError` subclasses.
        """
        with self._send(method, path, **kwargs) as r:
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
        """The request loop: ``ok`` decides which answers succeed (default: any 2xx)."""
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
            if isinstance(error, RateLimited):
                # Everything that paces calls to this provider hears of it, even when
                # this call waits it out below.
                provider_rate_limited.send(
                    sender=type(self), provider=self.provider, retry_after=error.retry_after
                )
            elapsed = self.clock.monotonic() - started
            if not error.transient:
                log.warning(
                    "%s %s failed after %d attempt(s): %s",
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
            if delay > policy.max_wait:
                # Too long to hold the worker: the pipeline runs the whole call again later.
                error.retry_later = True
                error.retry_after = delay
                log.info(
                    "%s %s: %s; the server asks for %.0fs, leaving the retry to the pipeline",
                    method,
                    self.redact(url),
                    self.redact(error),
                    delay,
                )
                raise error
            if attempt >= policy.max_attempts:
                error.retry_later = False  # this call already retried it: no second layer
                log.warning(
                    "%s %s failed for good after %d attempt(s): %s",
                    method,
                    self.redact(url),
                    attempt,
                    self.redact(error),
                )
                raise error
            if elapsed + delay > policy.deadline:
                log.warning(
                    "%s %s: giving up, the next retry would pass the %gs deadline: %s",
                    method,
                    self.redact(url),
                    policy.deadline,
                    self.redact(error),
                )
                timeout = ProviderTimeout(
                    f"{self.label} did not succeed within {policy.deadline:g} s "
                    f"({attempt} attempts; last error: {error.user_message})",
                    provider=self.provider,
                    status=error.status,
                    retry_after=error.retry_after,
                )
                timeout.retry_later = False
                raise timeout
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
