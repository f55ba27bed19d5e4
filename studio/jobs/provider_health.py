"""Provider health shared by every web and worker process, kept in Django's cache.

The registry's in-process store would give each process its own view; routing and the
staff status page need the same one. Times are wall-clock seconds (``time.time``) so they
mean the same in every process.
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache

from django.core.cache import cache

from providers.config import ProvidersConfig
from providers.registry import ProviderHealth, Registry, Sample, build_registry

WINDOW = 50
TTL = 24 * 3600


class CacheHealthStore:
    """The registry's HealthStore on Django's cache (Redis in production).

    Read-modify-write of one small list per provider; a lost update under a race costs
    one sample, which a health window of 50 calls tolerates.
    """

    def __init__(self, prefix: str = "provider-health") -> None:
        self.prefix = prefix
        self._lock = threading.Lock()

    def _key(self, provider: str) -> str:
        return f"{self.prefix}:{provider}"

    def _load(self, provider: str) -> dict:
        return cache.get(self._key(provider)) or {"samples": [], "failures": 0, "opened_at": None}

    def _snapshot(self, raw: dict) -> ProviderHealth:
        return ProviderHealth(
            samples=[Sample(at=s[0], ok=s[1], latency_ms=s[2]) for s in raw["samples"]],
            consecutive_failures=raw["failures"],
            opened_at=raw["opened_at"],
        )

    def record(
        self, provider: str, *, ok: bool, latency_ms: float | None, at: float
    ) -> ProviderHealth:
        with self._lock:
            raw = self._load(provider)
            raw["samples"] = [*raw["samples"], (at, ok, latency_ms)][-WINDOW:]
            raw["failures"] = 0 if ok else raw["failures"] + 1
            cache.set(self._key(provider), raw, TTL)
            return self._snapshot(raw)

    def get(self, provider: str) -> ProviderHealth:
        return self._snapshot(self._load(provider))

    def set_opened(self, provider: str, opened_at: float | None) -> None:
        with self._lock:
            raw = self._load(provider)
            raw["opened_at"] = opened_at
            cache.set(self._key(provider), raw, TTL)


@lru_cache(maxsize=1)
def app_registry() -> Registry:
    """The registry the app routes with: configured from the environment, shared health."""
    return build_registry(
        ProvidersConfig.from_env(os.environ), health=CacheHealthStore(), clock=time.time
    )


def reset_app_registry() -> None:
    """Close the registry's HTTP clients and forget it (after the environment changed)."""
    if app_registry.cache_info().currsize:
        app_registry().close()
    app_registry.cache_clear()
