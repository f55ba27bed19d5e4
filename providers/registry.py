"""Which providers exist here, how healthy they are, and which one serves a request.

Automatic routing ranks the configured models that can do a capability by quality fit,
indicative price (converted to dollars) and recent health. A small circuit breaker skips a
provider after several consecutive failures until a cool-down has passed. Health lives
behind :class:`HealthStore` so the app can swap the in-process store for a shared cache.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from .base import (
    CancelCheck,
    Capability,
    ImageProvider,
    ModelSpec,
    ProgressCallback,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    ProviderUnavailable,
    Quality,
    RequestRefused,
)
from .config import ProvidersConfig
from .gemini import GeminiProvider
from .huggingface import HuggingFaceProvider
from .local import LocalEngine
from .openai import OpenAIProvider
from .stability import StabilityProvider
from .wavespeed import WaveSpeedProvider

QUALITY_ORDER = (Quality.DRAFT, Quality.STANDARD, Quality.PREMIUM)

#: Errors that say nothing about a provider's health (the request or account was the problem).
_NOT_HEALTH_FAILURES = (
    "invalid_input",
    "content_filtered",
    "canceled",
    "config",
    "provider_balance",
)


# --------------------------------------------------------------------------- health


@dataclass
class Sample:
    at: float
    ok: bool
    latency_ms: float | None


@dataclass
class ProviderHealth:
    """What the store knows about one provider."""

    samples: list[Sample] = field(default_factory=list)
    consecutive_failures: int = 0
    opened_at: float | None = None  # when the circuit last opened


class HealthStore(Protocol):
    """Where health is kept. In-process by default; a shared cache can implement this."""

    def record(
        self, provider: str, *, ok: bool, latency_ms: float | None, at: float
    ) -> ProviderHealth: ...

    def get(self, provider: str) -> ProviderHealth: ...

    def set_opened(self, provider: str, opened_at: float | None) -> None: ...


class InMemoryHealthStore:
    """Thread-safe health kept in this process: the last ``window`` calls per provider."""

    def __init__(self, window: int = 50) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._samples: dict[str, deque[Sample]] = {}
        self._failures: dict[str, int] = {}
        self._opened: dict[str, float | None] = {}

    def record(
        self, provider: str, *, ok: bool, latency_ms: float | None, at: float
    ) -> ProviderHealth:
        with self._lock:
            self._samples.setdefault(provider, deque(maxlen=self._window)).append(
                Sample(at=at, ok=ok, latency_ms=latency_ms)
            )
            self._failures[provider] = 0 if ok else self._failures.get(provider, 0) + 1
            return self._snapshot(provider)

    def get(self, provider: str) -> ProviderHealth:
        with self._lock:
            return self._snapshot(provider)

    def set_opened(self, provider: str, opened_at: float | None) -> None:
        with self._lock:
            self._opened[provider] = opened_at

    def _snapshot(self, provider: str) -> ProviderHealth:
        return ProviderHealth(
            samples=list(self._samples.get(provider, ())),
            consecutive_failures=self._failures.get(provider, 0),
            opened_at=self._opened.get(provider),
        )


CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


# --------------------------------------------------------------------------- routing


def falls_back(exc: ProviderError) -> bool:
    """Whether Auto should try its next route after ``exc``.

    Yes when another route may well succeed: a transient fault of this provider, or its
    server refusing this model id or one of its parameters (a stale or retired model, a
    size the model stopped taking). No when the next route would fail the same way or must
    not be tried: the user's content was refused, the account has no credits, the key is
    wrong, or the job was canceled.
    """
    return exc.transient or isinstance(exc, RequestRefused)


@dataclass(frozen=True)
class SkippedRoute:
    """A route Auto left, and why (kept in the result so the job can show it)."""

    provider: str
    model: str
    code: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "provider": self.provider,
            "model": self.model,
            "code": self.code,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Route:
    """One ranked choice: a provider, one of its models, and why it was picked."""

    provider: ImageProvider
    model: ModelSpec
    unit_price: float  # in the provider's own unit (credits, dollars)
    price_usd: float | None  # indicative, None when unknown
    reason: str

    @property
    def provider_name(self) -> str:
        return self.provider.name


def _short(provider: ImageProvider) -> str:
    return getattr(provider, "short_label", "") or provider.label


def _price_usd(provider: ImageProvider, spec: ModelSpec) -> float | None:
    """The indicative dollar price of one output, or None when unknown.

    A remote model without a published price (``unit_price`` 0) is unknown; the local
    engine, which declares no price unit, is free.
    """
    per_unit = getattr(provider, "usd_per_unit", None)
    if per_unit is None:
        return 0.0
    if spec.unit_price <= 0:
        return None
    return spec.unit_price * per_unit


def _fits_size(spec: ModelSpec, width: int | None, height: int | None) -> bool:
    if not width or not height:
        return True
    if spec.sizes and (width, height) not in spec.sizes:
        return False
    if spec.min_side and min(width, height) < spec.min_side:
        return False
    return not (spec.max_side and max(width, height) > spec.max_side)


def _accepts_mask(provider: ImageProvider, spec: ModelSpec) -> bool:
    check = getattr(provider, "accepts_mask", None)
    return bool(check(spec)) if callable(check) else spec.requires_mask


class Registry:
    def __init__(
        self,
        providers: list[ImageProvider],
        *,
        health: HealthStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        failure_threshold: int = 3,
        cooldown: float = 60.0,
    ) -> None:
        self._providers = {p.name: p for p in providers}
        self.health: HealthStore = health or InMemoryHealthStore()
        self.clock = clock
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown

    # ------------------------------------------------------------------ lookup

    def all(self) -> list[ImageProvider]:
        return list(self._providers.values())

    def configured(self) -> list[ImageProvider]:
        return [p for p in self._providers.values() if p.is_configured()]

    def get(self, name: str) -> ImageProvider:
        """Return the provider called ``name``, or raise ``ProviderUnavailable``."""
        try:
            provider = self._providers[name]
        except KeyError:
            raise ProviderUnavailable(f"Unknown provider {name!r}.", provider=name) from None
        if not provider.is_configured():
            raise ProviderUnavailable(f"{provider.label} is not configured.", provider=name)
        return provider

    def close(self) -> None:
        for provider in self._providers.values():
            closer = getattr(provider, "close", None)
            if callable(closer):
                closer()

    # ------------------------------------------------------------------ health

    def circuit(self, name: str) -> str:
        """``closed`` (normal), ``open`` (skipped) or ``half_open`` (one trial allowed)."""
        opened_at = self.health.get(name).opened_at
        if opened_at is None:
            return CLOSED
        return OPEN if self.clock() - opened_at < self.cooldown else HALF_OPEN

    def record_success(self, provider: str, latency_ms: float | None = None) -> None:
        self.health.record(provider, ok=True, latency_ms=latency_ms, at=self.clock())
        self.health.set_opened(provider, None)

    def record_failure(self, provider: str, latency_ms: float | None = None) -> None:
        state_before = self.circuit(provider)
        snapshot = self.health.record(provider, ok=False, latency_ms=latency_ms, at=self.clock())
        # A failed trial call re-opens at once; otherwise open at the threshold.
        if state_before == HALF_OPEN or snapshot.consecutive_failures >= self.failure_threshold:
            self.health.set_opened(provider, self.clock())

    def stats(self, name: str) -> dict[str, Any]:
        snapshot = self.health.get(name)
        latencies = [s.latency_ms for s in snapshot.samples if s.latency_ms is not None]
        calls = len(snapshot.samples)
        failures = sum(1 for s in snapshot.samples if not s.ok)
        return {
            "calls": calls,
            "p50_latency_ms": round(statistics.median(latencies), 1) if latencies else None,
            "error_rate": round(failures / calls, 3) if calls else 0.0,
            "consecutive_failures": snapshot.consecutive_failures,
            "circuit": self.circuit(name),
        }

    def status(self) -> list[dict[str, Any]]:
        """One row per provider for the staff status page."""
        rows = []
        for provider in self._providers.values():
            caps = sorted({c.value for spec in provider.models() for c in spec.capabilities})
            rows.append(
                {
                    "name": provider.name,
                    "label": provider.label,
                    "configured": provider.is_configured(),
                    "capabilities": caps,
                    **self.stats(provider.name),
                }
            )
        return rows

    def execute(
        self,
        route_or_provider: Route | ImageProvider,
        request: ProviderRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> ProviderResult:
        """Run ``request`` and record the outcome in the provider's health.

        Only failures that say something about the provider (timeouts, 5xx, rate limits,
        unexpected answers) count against it; a refused prompt or a bad input does not.
        """
        if isinstance(route_or_provider, Route):
            provider = route_or_provider.provider
            if not request.model:
                request.model = route_or_provider.model.id
        else:
            provider = route_or_provider
        started = self.clock()
        try:
            result = provider.run(request, progress=progress, cancel=cancel)
        except ProviderError as exc:
            if exc.code not in _NOT_HEALTH_FAILURES:
                self.record_failure(provider.name, (self.clock() - started) * 1000)
            raise
        self.record_success(provider.name, (self.clock() - started) * 1000)
        return result

    def execute_routes(
        self,
        routes: Sequence[tuple[str, str]],
        make_request: Callable[[ModelSpec], ProviderRequest],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> ProviderResult:
        """Run the first of ``routes`` (``(provider, model)`` pairs, best first) that succeeds.

        A route whose provider fails in a way :func:`falls_back` accepts, is no longer
        configured, or no longer lists the model, is skipped for the next one; ``result.meta["skipped_routes"]``
        says which and why, ``result.meta["route_note"]`` in one sentence. Any other error, or
        the last route's, is raised as it is.
        """
        skipped: list[SkippedRoute] = []
        for index, (name, model_id) in enumerate(routes):
            last = index + 1 == len(routes)
            try:
                provider = self.get(name)  # its key may have gone since the job was queued
                spec = next((s for s in provider.models() if s.id == model_id), None)
                if spec is None:
                    raise RequestRefused(
                        f"{provider.label} no longer offers {model_id}.", provider=name
                    )
            except (ProviderUnavailable, RequestRefused) as exc:
                if last:
                    raise
                skipped.append(SkippedRoute(name, model_id, exc.code, exc.user_message))
                continue
            request = make_request(spec)
            request.model = spec.id
            try:
                result = self.execute(provider, request, progress=progress, cancel=cancel)
            except ProviderError as exc:
                if last or not falls_back(exc):
                    raise
                skipped.append(
                    SkippedRoute(
                        name,
                        model_id,
                        exc.code,
                        f"{_short(provider)} {spec.label}: {exc.user_message}",
                    )
                )
                continue
            if skipped:
                result.meta["skipped_routes"] = [s.as_dict() for s in skipped]
                result.meta["route_note"] = (
                    f"Used {_short(provider)} {spec.label} after "
                    + "; ".join(s.reason for s in skipped)
                )
            return result
        raise ProviderUnavailable("No route was given for this request.")

    # ------------------------------------------------------------------ ranking

    def rank(
        self,
        capability: Capability,
        *,
        quality: Quality | str = Quality.STANDARD,
        width: int | None = None,
        height: int | None = None,
        needs_mask: bool = False,
        model: str | None = None,
        provider: str | None = None,
    ) -> list[Route]:
        """Configured models able to serve the request, best first.

        Order: models at the requested quality, then higher tiers, then lower ones; within
        a tier the cheapest known price first (unknown prices last), then the lower recent
        error rate. Providers whose circuit is open are left out. Raises
        ``ProviderUnavailable`` when nothing qualifies.
        """
        quality = Quality(quality)
        wanted = QUALITY_ORDER.index(quality)
        candidates: list[tuple[tuple[Any, ...], ImageProvider, ModelSpec, float | None]] = []
        skipped_open: list[str] = []
        for p in self._providers.values():
            if provider and p.name != provider:
                continue
            if not p.is_configured():
                continue
            specs = [
                s
                for s in p.models()
                if capability in s.capabilities
                and (model is None or s.id == model)
                and _fits_size(s, width, height)
                and (not needs_mask or _accepts_mask(p, s))
            ]
            if not specs:
                continue
            if self.circuit(p.name) == OPEN:
                skipped_open.append(_short(p))
                continue
            error_rate = self.stats(p.name)["error_rate"]
            for s in specs:
                tier = QUALITY_ORDER.index(s.quality)
                gap = 0 if tier == wanted else (1 if tier > wanted else 2)
                usd = _price_usd(p, s)
                key = (gap, abs(tier - wanted), usd is None, usd or 0.0, error_rate, p.name, s.id)
                candidates.append((key, p, s, usd))
        if not candidates:
            what = capability.value.replace("_", " ")
            extra = (
                f" ({', '.join(skipped_open)} paused after repeated failures)"
                if skipped_open
                else ""
            )
            raise ProviderUnavailable(f"No configured provider can do {what}{extra}.")
        candidates.sort(key=lambda c: c[0])
        routes = []
        for i, (_, p, s, usd) in enumerate(candidates):
            if i == 0:
                reason = self._reason(p, s, candidates, quality, width, height, model, skipped_open)
            else:
                price = f"${usd:.3f} per output" if usd is not None else "price unknown"
                reason = f"Fallback {i}: {_short(p)} {s.label} ({price})"
            routes.append(
                Route(provider=p, model=s, unit_price=s.unit_price, price_usd=usd, reason=reason)
            )
        return routes

    def choose(self, capability: Capability, **kwargs: Any) -> Route:
        """The first choice of :meth:`rank`."""
        return self.rank(capability, **kwargs)[0]

    @staticmethod
    def _reason(
        p: ImageProvider,
        s: ModelSpec,
        candidates: list[Any],
        quality: Quality,
        width: int | None,
        height: int | None,
        model: str | None,
        skipped_open: list[str],
    ) -> str:
        size = f" for {width}×{height}" if width and height else ""
        tier = f"at {quality.value.title()} quality"
        if model:
            why = "the requested model"
        elif len(candidates) == 1:
            why = "the only configured model"
        elif _price_usd(p, s) is None:
            why = "the best configured model (price unknown)"
        else:
            why = "the cheapest configured model"
        if s.quality != quality and not model:
            tier += (
                f" (no {quality.value.title()} model available, using {s.quality.value.title()})"
            )
        if skipped_open:
            tier += f"; skipped {', '.join(sorted(skipped_open))} after repeated failures"
        return f"Auto: {_short(p)} {s.label} — {why}{size} {tier}"


# --------------------------------------------------------------------------- building


def build_registry(
    config: ProvidersConfig | None = None,
    *,
    health: HealthStore | None = None,
    clock: Callable[[], float] = time.monotonic,
    provider_kwargs: Mapping[str, dict[str, Any]] | None = None,
    **registry_kwargs: Any,
) -> Registry:
    """A registry with the local engine and every remote provider.

    Remote providers are always present (the status page lists them) but only those whose
    key is set are configured, and only configured ones are ever routed to.
    ``provider_kwargs`` passes extra constructor arguments per provider name (tests use it
    for fake clocks and short poll intervals).
    """
    config = config or ProvidersConfig.from_env()
    extra = dict(provider_kwargs or {})
    providers: list[ImageProvider] = [
        LocalEngine(),
        StabilityProvider(
            config.stability_api_key, config.stability_api_base, **extra.get("stability", {})
        ),
        WaveSpeedProvider(
            config.wavespeed_api_key, config.wavespeed_api_base, **extra.get("wavespeed", {})
        ),
        HuggingFaceProvider(config.hf_token, config.hf_api_base, **extra.get("huggingface", {})),
        GeminiProvider(
            config.gemini_api_key,
            config.gemini_api_base,
            image_model=config.gemini_image_model,
            text_model=config.gemini_text_model,
            **extra.get("gemini", {}),
        ),
        OpenAIProvider(config.openai_api_key, config.openai_api_base, **extra.get("openai", {})),
    ]
    return Registry(providers, health=health, clock=clock, **registry_kwargs)


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The process-wide registry, configured from the environment."""
    return build_registry(ProvidersConfig.from_env(os.environ))


def reset_registry() -> None:
    """Forget the process-wide registry (after the environment changed)."""
    if registry.cache_info().currsize:
        registry().close()
    registry.cache_clear()


def get_provider(name: str) -> ImageProvider:
    return registry().get(name)
