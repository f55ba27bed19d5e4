"""Fixtures for provider tests: one fake server per vendor, a fake clock, test images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from providers.fakes import GeminiFake, HuggingFaceFake, OpenAIFake, StabilityFake, WaveSpeedFake
from providers.gemini import GeminiProvider
from providers.http.retry import Clock
from providers.huggingface import HuggingFaceProvider
from providers.openai import OpenAIProvider
from providers.stability import StabilityProvider
from providers.wavespeed import WaveSpeedProvider


class FakeClock(Clock):
    """Time that only moves when someone sleeps; every sleep is recorded."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.wall_now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall_now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall_now += seconds


def make_png(
    width: int = 128, height: int = 128, color=(200, 40, 40), mode: str = "RGB", fmt: str = "PNG"
) -> bytes:
    buf = io.BytesIO()
    fill = color if mode != "L" else 255
    Image.new(mode, (width, height), fill).save(buf, format=fmt)
    return buf.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def output_bytes(output) -> bytes:
    """The output's bytes; a spooled file is closed afterwards."""
    data = output.open().read()
    if output.file is not None:
        output.file.close()
    return data


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _server(cls):
    server = cls().start()
    return server


@pytest.fixture(scope="session")
def stability_server():
    server = _server(StabilityFake)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wavespeed_server():
    server = _server(WaveSpeedFake)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def huggingface_server():
    server = _server(HuggingFaceFake)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gemini_server():
    server = _server(GeminiFake)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openai_server():
    server = _server(OpenAIFake)
    yield server
    server.stop()


# Function-scoped views of the session servers: a clean slate for every test.


@pytest.fixture
def stability_fake(stability_server):
    stability_server.reset()
    yield stability_server
    stability_server.reset()


@pytest.fixture
def wavespeed_fake(wavespeed_server):
    wavespeed_server.reset()
    yield wavespeed_server
    wavespeed_server.reset()


@pytest.fixture
def huggingface_fake(huggingface_server):
    huggingface_server.reset()
    yield huggingface_server
    huggingface_server.reset()


@pytest.fixture
def gemini_fake(gemini_server):
    gemini_server.reset()
    yield gemini_server
    gemini_server.reset()


@pytest.fixture
def openai_fake(openai_server):
    openai_server.reset()
    yield openai_server
    openai_server.reset()


# Clients pointed at the fakes, with the fake clock so retries and polls never really wait.


@pytest.fixture
def stability(stability_fake, clock):
    provider = StabilityProvider(stability_fake.api_key, stability_fake.base_url, clock=clock)
    yield provider
    provider.close()


@pytest.fixture
def stability_json(stability_fake, clock):
    provider = StabilityProvider(
        stability_fake.api_key, stability_fake.base_url, clock=clock, accept="application/json"
    )
    yield provider
    provider.close()


@pytest.fixture
def wavespeed(wavespeed_fake, clock):
    provider = WaveSpeedProvider(wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock)
    yield provider
    provider.close()


@pytest.fixture
def huggingface(huggingface_fake, clock):
    provider = HuggingFaceProvider(huggingface_fake.api_key, huggingface_fake.base_url, clock=clock)
    yield provider
    provider.close()


@pytest.fixture
def gemini(gemini_fake, clock):
    provider = GeminiProvider(gemini_fake.api_key, gemini_fake.base_url, clock=clock)
    yield provider
    provider.close()


@pytest.fixture
def openai(openai_fake, clock):
    provider = OpenAIProvider(openai_fake.api_key, openai_fake.base_url, clock=clock)
    yield provider
    provider.close()
