"""Contract-faithful fake provider servers for tests and offline demos.

``start_all()`` starts one fake per provider on 127.0.0.1 (random ports) and returns them
by provider name; each has ``base_url``, ``requests`` (what it received), ``inject(...)``
(the next failure to answer with), ``reset()`` and ``stop()``.
"""

from __future__ import annotations

from .gemini import GeminiFake
from .huggingface import HuggingFaceFake
from .openai import OpenAIFake
from .server import FakeServer, RecordedRequest, Reply, UploadedFile
from .stability import StabilityFake
from .wavespeed import WaveSpeedFake

FAKES: dict[str, type[FakeServer]] = {
    "stability": StabilityFake,
    "wavespeed": WaveSpeedFake,
    "huggingface": HuggingFaceFake,
    "gemini": GeminiFake,
    "openai": OpenAIFake,
}


def start_all() -> dict[str, FakeServer]:
    """Start every fake server and return them keyed by provider name."""
    started: dict[str, FakeServer] = {}
    try:
        for name, cls in FAKES.items():
            started[name] = cls().start()
    except Exception:
        for server in started.values():
            server.stop()
        raise
    return started


def env_for(servers: dict[str, FakeServer]) -> dict[str, str]:
    """Environment variables that point the app at ``servers``."""
    env: dict[str, str] = {}
    for server in servers.values():
        env.update(server.env())
    return env


__all__ = [
    "FAKES",
    "FakeServer",
    "GeminiFake",
    "HuggingFaceFake",
    "OpenAIFake",
    "RecordedRequest",
    "Reply",
    "StabilityFake",
    "UploadedFile",
    "WaveSpeedFake",
    "env_for",
    "start_all",
]
