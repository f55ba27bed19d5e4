"""API keys never show up in exception text, log records, or reprs."""

from __future__ import annotations

import logging

import pytest

from providers.base import Capability, ProviderError, ProviderRequest
from providers.config import ProvidersConfig
from providers.gemini import GeminiProvider
from providers.huggingface import HuggingFaceProvider
from providers.openai import OpenAIProvider
from providers.registry import build_registry
from providers.stability import StabilityProvider
from providers.wavespeed import WaveSpeedProvider

WRONG_KEYS = {
    "stability": "sk-leaky-stability-5c2b9f0e1d",
    "wavespeed": "ws-leaky-wavespeed-7e1a3c5b9d",
    "huggingface": "hf_leakyHuggingFaceToken42",
    "gemini": "AIzaLeakyGeminiKey0123456789xyz",
    "openai": "sk-leaky-openai-0a1b2c3d4e5f",
}
CLASSES = {
    "stability": StabilityProvider,
    "wavespeed": WaveSpeedProvider,
    "huggingface": HuggingFaceProvider,
    "gemini": GeminiProvider,
    "openai": OpenAIProvider,
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_rejected_key_never_leaks(name, request, clock, caplog):
    fake = request.getfixturevalue(f"{name}_fake")
    key = WRONG_KEYS[name]
    provider = CLASSES[name](key, fake.base_url, clock=clock)
    caplog.set_level(logging.DEBUG)
    prompt_request = ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="a test")
    with pytest.raises(ProviderError) as info:
        provider.run(prompt_request)
    error = info.value
    assert error.status in (400, 401, 403)
    for text in (str(error), repr(error), error.user_message, str(error.__cause__ or "")):
        assert key not in text
    assert caplog.records, "the failed call is logged"
    assert key not in caplog.text
    assert all(key not in str(r.args) for r in caplog.records)
    assert key not in repr(provider) and key not in str(provider)
    assert key not in repr(provider.http)
    assert key not in repr(prompt_request)
    # The key did travel, in a header only.
    sent = fake.requests[-1]
    assert key in " ".join(sent.headers.values())
    assert key not in sent.path and key not in str(sent.query)
    provider.close()


def test_config_repr_hides_every_key():
    env = {
        "STABILITY_API_KEY": WRONG_KEYS["stability"],
        "WAVESPEED_API_KEY": WRONG_KEYS["wavespeed"],
        "HF_TOKEN": WRONG_KEYS["huggingface"],
        "GEMINI_API_KEY": WRONG_KEYS["gemini"],
        "OPENAI_API_KEY": WRONG_KEYS["openai"],
    }
    config = ProvidersConfig.from_env(env)
    for key in WRONG_KEYS.values():
        assert key not in repr(config)
        assert key not in str(config)
    assert "stability_api_key='***'" in repr(config)
    reg = build_registry(config)
    text = repr(reg.all()) + repr(reg.status())
    for key in WRONG_KEYS.values():
        assert key not in text


def test_vendor_echoing_the_key_is_redacted(stability_fake, clock, caplog):
    stability_fake.inject(
        "bad_request", message=f"authorization: Bearer {stability_fake.api_key} is malformed"
    )
    provider = StabilityProvider(stability_fake.api_key, stability_fake.base_url, clock=clock)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as info:
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert "malformed" in str(info.value)
    assert stability_fake.api_key not in str(info.value)
    assert stability_fake.api_key not in caplog.text
    provider.close()
