"""Gemini client (native image, Imagen, prompt enhancement) against the fake over real HTTP."""

from __future__ import annotations

import base64

import pytest

from providers.base import (
    Capability,
    ContentFiltered,
    InvalidInput,
    ProviderConfigError,
    ProviderRequest,
    RateLimited,
    TransientError,
)
from providers.gemini import GeminiProvider
from providers.http.retry import RetryPolicy

from .conftest import make_png


def test_generate_sends_key_header_and_decodes_inline_data(gemini, gemini_fake):
    result = gemini.run(
        ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="a paper boat", aspect_ratio="16:9")
    )
    [sent] = gemini_fake.requests
    assert sent.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert sent.headers["x-goog-api-key"] == gemini_fake.api_key
    assert "authorization" not in sent.headers and "key" not in sent.query
    assert sent.json["contents"][0]["parts"] == [{"text": "a paper boat"}]
    assert sent.json["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9"},
    }
    [out] = result.outputs
    assert (out.width, out.height) == (1344, 768) and out.content_type == "image/png"
    assert "paper boat" in result.meta["text"]


def test_edit_sends_images_as_inline_data(gemini, gemini_fake):
    source = make_png(300, 200)
    reference = make_png(64, 64, fmt="JPEG")
    result = gemini.run(
        ProviderRequest(
            Capability.PROMPT_EDIT,
            prompt="add a hat",
            image=source,
            extra_images={"ref": reference},
        )
    )
    parts = gemini_fake.requests[0].json["contents"][0]["parts"]
    assert parts[0] == {"text": "add a hat"}
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == source
    assert parts[2]["inlineData"]["mimeType"] == "image/jpeg"
    assert (result.outputs[0].width, result.outputs[0].height) == (300, 200)


def test_image_model_id_is_configurable(gemini_fake, clock):
    provider = GeminiProvider(
        gemini_fake.api_key,
        gemini_fake.base_url,
        clock=clock,
        image_model="gemini-3-pro-image-preview",
    )
    result = provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert result.model == "gemini-3-pro-image-preview"
    assert (
        gemini_fake.requests[0].path == "/v1beta/models/gemini-3-pro-image-preview:generateContent"
    )
    provider.close()


def test_prompt_enhance_returns_text(gemini, gemini_fake):
    result = gemini.run(ProviderRequest(Capability.PROMPT_ENHANCE, prompt="cat on a roof"))
    [sent] = gemini_fake.requests
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.json["generationConfig"]["responseModalities"] == ["TEXT"]
    assert sent.json["systemInstruction"]["parts"][0]["text"]
    assert result.outputs == []
    assert "cat on a roof" in result.meta["text"]


def test_imagen_predict_batches_sample_count(gemini, gemini_fake):
    result = gemini.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            model="imagen-4.0-generate-001",
            prompt="x",
            n=5,
            aspect_ratio="9:16",
        )
    )
    first, second = gemini_fake.requests
    assert first.path == "/v1beta/models/imagen-4.0-generate-001:predict"
    assert first.json == {
        "instances": [{"prompt": "x"}],
        "parameters": {"sampleCount": 4, "personGeneration": "allow_adult", "aspectRatio": "9:16"},
    }
    assert second.json["parameters"]["sampleCount"] == 1
    assert len(result.outputs) == 5
    assert (result.outputs[0].width, result.outputs[0].height) == (768, 1408)


def test_block_reason_is_content_filtered(gemini, gemini_fake):
    gemini_fake.inject("blocked")
    with pytest.raises(ContentFiltered, match="PROHIBITED_CONTENT"):
        gemini.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))


def test_image_safety_finish_reason_is_content_filtered(gemini, gemini_fake):
    gemini_fake.inject("safety")
    with pytest.raises(ContentFiltered, match="IMAGE_SAFETY"):
        gemini.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("invalid_key", ProviderConfigError),
        ("permission_denied", ProviderConfigError),
        ("invalid_argument", InvalidInput),
    ],
)
def test_errors_map(gemini, gemini_fake, kind, error):
    gemini_fake.inject(kind)
    with pytest.raises(error):
        gemini.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert len(gemini_fake.requests) == 1


def test_unknown_model_is_invalid_input(gemini_fake, clock):
    provider = GeminiProvider(
        gemini_fake.api_key, gemini_fake.base_url, clock=clock, image_model="gemini-0-retired"
    )
    with pytest.raises(InvalidInput, match="not found"):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    provider.close()


def test_resource_exhausted_and_unavailable_are_retried(gemini, gemini_fake, clock):
    gemini_fake.inject("rate_limit", retry_after=5)
    gemini_fake.inject("unavailable")
    result = gemini.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert result.outputs
    assert len(gemini_fake.requests) == 3
    assert clock.sleeps[0] == 5.0


def test_persistent_429_is_rate_limited(gemini_fake, clock):
    gemini_fake.inject("rate_limit", times=5)
    provider = GeminiProvider(
        gemini_fake.api_key, gemini_fake.base_url, clock=clock, retry=RetryPolicy(max_attempts=2)
    )
    with pytest.raises(RateLimited):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    provider.close()


def test_persistent_503_is_transient(gemini_fake, clock):
    gemini_fake.inject("unavailable", times=5)
    provider = GeminiProvider(
        gemini_fake.api_key, gemini_fake.base_url, clock=clock, retry=RetryPolicy(max_attempts=2)
    )
    with pytest.raises(TransientError):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    provider.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "aspect_ratio": "7:1"},
            "aspect ratios",
        ),
        ({"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "mask": make_png()}, "mask"),
        ({"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "seed": 1}, "seed"),
        ({"capability": Capability.PROMPT_EDIT, "prompt": "x"}, "input image"),
        (
            {
                "capability": Capability.PROMPT_EDIT,
                "prompt": "x",
                "image": make_png(),
                "extra_images": {"a": make_png(), "b": make_png(), "c": make_png()},
            },
            "at most 3",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": "imagen-4.0-generate-001",
                "prompt": "x",
                "aspect_ratio": "21:9",
            },
            "aspect ratios",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": "imagen-4.0-generate-001",
                "prompt": "x",
                "image": make_png(),
            },
            "input images",
        ),
        ({"capability": Capability.UPSCALE_FAST, "image": make_png()}, "cannot do"),
    ],
)
def test_invalid_requests_never_reach_the_network(gemini, gemini_fake, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        gemini.run(ProviderRequest(**kwargs))
    assert gemini_fake.requests == []


def test_thought_images_are_skipped(gemini, gemini_fake):
    gemini_fake.thought_images = 2
    result = gemini.run(
        ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="a red kite", aspect_ratio="1:1")
    )
    [output] = result.outputs  # only the final image, not the two drafts
    assert (output.width, output.height) == (1024, 1024)
    assert "Drafting" not in result.meta["text"]


def test_the_fake_rewrites_the_idea_and_never_echoes_its_instructions(gemini, gemini_fake):
    instruction = (
        "Rewrite this draft into one vivid image-generation prompt of at most 90 words. "
        "Answer with the prompt only."
    )
    result = gemini.run(
        ProviderRequest(
            Capability.PROMPT_ENHANCE, prompt=f"{instruction}\n\nDraft: a cat on a green sofa"
        )
    )
    text = result.meta["text"]
    assert text.startswith("a cat on a green sofa, ")
    assert "Rewrite" not in text and "Draft" not in text and "90 words" not in text


def test_the_fake_refuses_fields_the_api_does_not_know(gemini_fake):
    import httpx

    url = f"{gemini_fake.base_url}/models/gemini-2.5-flash-image:generateContent"
    headers = {"x-goog-api-key": gemini_fake.api_key}
    contents = [{"role": "user", "parts": [{"text": "a kite"}]}]
    ok = httpx.post(url, headers=headers, json={"contents": contents})
    assert ok.status_code == 200
    for body in (
        {"contents": contents, "moderation": "low"},
        {"contents": contents, "generationConfig": {"aspectRatio": "1:1"}},
    ):
        refused = httpx.post(url, headers=headers, json=body)
        assert refused.status_code == 400
        assert "Unknown name" in refused.json()["error"]["message"]
