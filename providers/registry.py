"""Which providers exist here, and which one serves a request."""

from __future__ import annotations

from functools import lru_cache

from .base import ImageProvider, ProviderUnavailable
from .local import LocalEngine


class Registry:
    def __init__(self, providers: list[ImageProvider]) -> None:
        self._providers = {p.name: p for p in providers}

    def all(self) -> list[ImageProvider]:
        return list(self._providers.values())

    def get(self, name: str) -> ImageProvider:
        """Return the provider called ``name``, or raise ``ProviderUnavailable``."""
        try:
            provider = self._providers[name]
        except KeyError:
            raise ProviderUnavailable(f"Unknown provider {name!r}.", provider=name) from None
        if not provider.is_configured():
            raise ProviderUnavailable(f"{provider.label} is not configured.", provider=name)
        return provider


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry([LocalEngine()])


def get_provider(name: str) -> ImageProvider:
    return registry().get(name)
