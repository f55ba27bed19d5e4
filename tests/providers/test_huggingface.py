"""Hugging Face router client against the fake router over real HTTP."""

from __future__ import annotations

import pytest

from providers.base import (
    Capability,
    InsufficientProviderBalance,
    InvalidInput,
    ProviderConfigError,
    ProviderRequest,
    RateLimited,
    TransientError,
)
from providers.http.retry import RetryPolicy
from providers.huggingface import HuggingFaceProvider

from .conftest import image_size, make_png, output_bytes

SCHNELL = "black-forest-labs/FLUX.1-schnell"


def test_hf_inference_returns_raw_image_bytes(huggingface, huggingface_fake):
    result = huggingface.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            model=SCHNELL,
            prompt="a koi pond",
            width=512,
            height=384,
            seed=9,
        )
    )
    [sent] = huggingface_fake.requests
    assert sent.path == f"/hf-inference/models/{SCHNELL}"
    assert sent.headers["authorization"] == f"Bearer {huggingface_fake.api_key}"
    assert sent.json == {
        "inputs": "a koi pond",
        "parameters": {
            "num_inference_steps": 4,
            "guidance_scale": 0.0,
            "width": 512,
            "height": 384,
            "seed": 9,
        },
    }
    [out] = result.outputs
    assert out.data is not None and image_size(out.data) == (512, 384)
    assert out.content_type == "image/png" and out.seed == 9


def test_fal_route_downloads_the_image_url(huggingface, huggingface_fake):
    result = huggingface.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            model="fal-ai/flux/dev",
            prompt="x",
            width=640,
            height=480,
            output_format="jpeg",
        )
    )
    post, download = huggingface_fake.requests
    assert post.path == "/fal-ai/fal-ai/flux/dev"
    assert post.json["image_size"] == {"width": 640, "height": 480}
    assert post.json["num_inference_steps"] == 28
    assert download.method == "GET" and "authorization" not in download.headers
    [out] = result.outputs
    assert out.content_type == "image/jpeg"
    assert image_size(output_bytes(out)) == (640, 480)


def test_model_loading_503_is_retried_after_estimated_time(huggingface, huggingface_fake, clock):
    huggingface_fake.loading_calls = 2
    huggingface_fake.estimated_time = 4.5
    result = huggingface.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))
    assert len(huggingface_fake.requests) == 3
    assert clock.sleeps == [4.5, 4.5]
    assert result.outputs[0].width == 1024


def test_wait_for_model_header_makes_the_server_hold(huggingface_fake, clock):
    huggingface_fake.loading_calls = 1
    provider = HuggingFaceProvider(
        huggingface_fake.api_key, huggingface_fake.base_url, clock=clock, wait_for_model=True
    )
    provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))
    [sent] = huggingface_fake.requests
    assert sent.headers["x-wait-for-model"] == "true"
    assert clock.sleeps == []
    provider.close()


def test_a_long_model_load_is_left_to_the_pipeline(huggingface_fake, clock):
    huggingface_fake.loading_calls = 100
    huggingface_fake.estimated_time = 50
    provider = HuggingFaceProvider(
        huggingface_fake.api_key,
        huggingface_fake.base_url,
        clock=clock,
        retry=RetryPolicy(max_attempts=10, deadline=120),
    )
    with pytest.raises(TransientError) as info:
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))
    assert len(huggingface_fake.requests) == 1  # no worker waits 50 s for a cold model
    assert info.value.retry_later and info.value.retry_after == 50
    assert clock.sleeps == []
    provider.close()


def test_credits_message_is_insufficient_balance(huggingface, huggingface_fake):
    huggingface_fake.inject("credits")
    with pytest.raises(InsufficientProviderBalance, match="monthly included credits"):
        huggingface.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))


def test_credits_message_with_another_status_is_still_balance(huggingface, huggingface_fake):
    huggingface_fake.inject("credits", status=403)
    with pytest.raises(InsufficientProviderBalance):
        huggingface.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))


def test_unknown_model_404_is_invalid_input(huggingface, huggingface_fake):
    with pytest.raises(InvalidInput, match="does not serve"):
        huggingface.http.request("POST", "/hf-inference/models/acme/nothing", json={"inputs": "x"})


def test_bad_token(huggingface, huggingface_fake):
    huggingface_fake.inject("unauthorized")
    with pytest.raises(ProviderConfigError):
        huggingface.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))


def test_429_retried_then_gives_up(huggingface_fake, clock):
    huggingface_fake.inject("rate_limit", retry_after=2, times=3)
    provider = HuggingFaceProvider(
        huggingface_fake.api_key,
        huggingface_fake.base_url,
        clock=clock,
        retry=RetryPolicy(max_attempts=3),
    )
    with pytest.raises(RateLimited):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, prompt="x"))
    assert clock.sleeps == [2.0, 2.0]
    provider.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt": "x", "width": 4096, "height": 1024}, "at most 2048"),
        ({"prompt": "x", "width": 512}, "both width and height"),
        ({"prompt": "x", "image": make_png()}, "only generates from text"),
        ({"prompt": "x", "params": {"num_inference_steps": 0}}, "at least 1"),
        ({"prompt": ""}, "prompt is required"),
        ({"prompt": "x", "output_format": "webp"}, "not webp"),
    ],
)
def test_invalid_requests_never_reach_the_network(huggingface, huggingface_fake, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        huggingface.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=SCHNELL, **kwargs))
    assert huggingface_fake.requests == []


def test_fal_refuses_negative_prompt_locally(huggingface, huggingface_fake):
    with pytest.raises(InvalidInput, match="negative prompt"):
        huggingface.run(
            ProviderRequest(
                Capability.TEXT_TO_IMAGE,
                model="fal-ai/flux/schnell",
                prompt="x",
                negative_prompt="y",
            )
        )
    assert huggingface_fake.requests == []
