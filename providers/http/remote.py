"""The shared base of the five HTTP providers: what every vendor module would otherwise repeat.

:meth:`RemoteProvider.run` picks and validates the model, checks the prompt, seed and mask,
refuses when no key is set, announces the call, splits a multi-output request into calls of
at most ``spec.max_outputs_per_call`` and adds the latency. A vendor module declares its
``MODELS``, auth header and error mapping and implements :meth:`RemoteProvider._call`, which
receives one :class:`Call` and returns ``call.result(outputs)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

import httpx

from ..base import (
    CancelCheck,
    Canceled,
    Capability,
    InvalidInput,
    ModelSpec,
    ProgressCallback,
    ProviderConfigError,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    validate_request,
)
from .client import ProviderHTTP, Timeouts
from .errors import error_for_response
from .polling import poll_until
from .redaction import redact, register_secret
from .retry import SYSTEM_CLOCK, Clock, RetryPolicy

T = TypeVar("T")


@dataclass
class Call:
    """One vendor call of a run: the model, the request, its checked params, and the hooks."""

    provider: str
    spec: ModelSpec
    request: ProviderRequest
    params: dict[str, Any]
    label: str  # "Stability Core": names the call in progress messages and timeouts
    progress: ProgressCallback | None = None
    cancel: CancelCheck | None = None

    def result(self, outputs: Iterable[ProviderOutput] = (), **meta: Any) -> ProviderResult:
        return ProviderResult(
            provider=self.provider, model=self.spec.id, outputs=list(outputs), meta=meta
        )


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
    MODELS: ClassVar[tuple[ModelSpec, ...]] = ()
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
        return list(self.MODELS)

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

    def call_label(self, spec: ModelSpec) -> str:
        """How progress messages name a model: "Stability Core", "Gemini image"."""
        short = self.short_label or self.label
        return spec.label if spec.label.startswith(short) else f"{short} {spec.label}"

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
        label = self.call_label(spec)
        if progress is not None:
            progress(5, f"Sending to {label}…")
        started = self.clock.monotonic()
        outputs = []
        meta: dict[str, Any] = {}
        remaining = request.n
        index = 0
        while remaining > 0:
            if cancel is not None and cancel():
                raise Canceled("Canceled.", provider=self.name)
            batch = min(remaining, max(1, spec.max_outputs_per_call))
            sub = replace(request, n=batch)
            if index and request.seed is not None:
                # Distinct, reproducible seeds for the extra calls of a multi-output request.
                sub.seed = (request.seed + index) % (self.seed_range[1] + 1)
            call = Call(self.name, spec, sub, params, label, progress, cancel)
            result = self._call(call)
            outputs.extend(result.outputs)
            for key, value in result.meta.items():
                meta.setdefault(key, value)
            remaining -= batch
            index += 1
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

    def _call(self, call: Call) -> ProviderResult:
        raise NotImplementedError

    # ------------------------------------------------------------------ http

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def map_error(self, response: httpx.Response, retry_after: float | None) -> ProviderError:
        """Our error for a failed answer; vendors handle their special cases, then call this."""
        return error_for_response(
            response, provider=self.name, label=self.label, retry_after=retry_after
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
        call: Call,
        check: Callable[[], T | None],
        *,
        interval: float,
        timeout: float,
    ) -> T:
        """Poll ``check`` for ``call`` (the constructor's poll settings win, for tests)."""
        return poll_until(
            check,
            interval=self._poll_interval if self._poll_interval is not None else interval,
            timeout=self._poll_timeout if self._poll_timeout is not None else timeout,
            clock=self.clock,
            cancel=call.cancel,
            progress=call.progress,
            label=call.label,
            provider=self.name,
        )

    def _error(self, cls: type[ProviderError], message: str, **kwargs: Any) -> ProviderError:
        return cls(redact(message, (self._api_key,)), provider=self.name, **kwargs)
