"""OpenAI Images client against the fake over real HTTP."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from providers.base import (
    Capability,
    ContentFiltered,
    InsufficientProviderBalance,
    InvalidInput,
    ProviderConfigError,
    ProviderRequest,
)
from providers.openai import openai_mask

from .conftest import make_png


def test_generation_sends_json_and_decodes_b64(openai, openai_fake):
    result = openai.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            prompt="a tiny robot",
            width=1536,
            height=1024,
            n=2,
            output_format="webp",
            params={"quality": "high", "background": "transparent"},
        )
    )
    [sent] = openai_fake.requests
    assert sent.path == "/v1/images/generations"
    assert sent.headers["authorization"] == f"Bearer {openai_fake.api_key}"
    assert sent.json == {
        "model": "gpt-image-1",
        "prompt": "a tiny robot",
        "n": 2,
        "size": "1536x1024",
        "output_format": "webp",
        "quality": "high",
        "background": "transparent",
    }
    assert len(result.outputs) == 2
    out = result.outputs[0]
    assert (out.width, out.height) == (1536, 1024) and out.content_type == "image/webp"
    assert result.meta["usage"]["total_tokens"] > 0


def test_edit_is_multipart_with_converted_mask(openai, openai_fake):
    source = make_png(256, 256)
    mask = Image.new("L", (256, 256), 0)
    mask.paste(255, (0, 0, 128, 256))  # change the left half
    buf = io.BytesIO()
    mask.save(buf, format="PNG")
    result = openai.run(
        ProviderRequest(
            Capability.INPAINT,
            prompt="add a window",
            image=source,
            mask=buf.getvalue(),
            aspect_ratio="1:1",
        )
    )
    [sent] = openai_fake.requests
    assert sent.path == "/v1/images/edits"
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert (
        sent.form["model"] == "gpt-image-1"
        and sent.form["prompt"] == "add a window"
        and sent.form["size"] == "1024x1024"
    )
    assert sent.file("image").data == source
    sent_mask = Image.open(io.BytesIO(sent.file("mask").data))
    assert sent_mask.mode == "RGBA"
    assert sent_mask.getpixel((10, 10))[3] == 0  # painted white: transparent, to be edited
    assert sent_mask.getpixel((200, 10))[3] == 255  # kept
    assert result.outputs[0].width == 1024


def test_several_images_use_the_array_field(openai, openai_fake):
    openai.run(
        ProviderRequest(
            Capability.PROMPT_EDIT,
            prompt="combine",
            image=make_png(),
            extra_images={"b": make_png()},
        )
    )
    assert len(openai_fake.requests[0].files["image[]"]) == 2


def test_mask_conversion_checks_size():
    with pytest.raises(InvalidInput, match="same size"):
        openai_mask(make_png(10, 10), (20, 20))


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("unauthorized", ProviderConfigError),
        ("invalid_request", InvalidInput),
        ("moderation", ContentFiltered),
        ("insufficient_quota", InsufficientProviderBalance),
    ],
)
def test_errors_map(openai, openai_fake, clock, kind, error):
    openai_fake.inject(kind)
    with pytest.raises(error):
        openai.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert len(openai_fake.requests) == 1 and clock.sleeps == []


def test_rate_limit_and_server_error_are_retried(openai, openai_fake, clock):
    openai_fake.inject("rate_limit", retry_after=1)
    openai_fake.inject("server_error")
    assert openai.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x")).outputs
    assert len(openai_fake.requests) == 3
    assert clock.sleeps[0] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "width": 800, "height": 600},
            "supports sizes",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "prompt": "x",
                "output_format": "jpeg",
                "params": {"background": "transparent"},
            },
            "transparent",
        ),
        (
            {"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "params": {"quality": "ultra"}},
            "Quality",
        ),
        (
            {"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "image": make_png()},
            "no input image",
        ),
        ({"capability": Capability.PROMPT_EDIT, "prompt": "x"}, "input image"),
        (
            {
                "capability": Capability.INPAINT,
                "prompt": "x",
                "image": make_png(100, 100),
                "mask": make_png(50, 50),
            },
            "same size",
        ),
        ({"capability": Capability.TEXT_TO_IMAGE, "prompt": "x", "n": 11}, "Between 1 and 10"),
        ({"capability": Capability.TEXT_TO_IMAGE, "prompt": "x" * 32_001}, "32,000"),
    ],
)
def test_invalid_requests_never_reach_the_network(openai, openai_fake, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        openai.run(ProviderRequest(**kwargs))
    assert openai_fake.requests == []


def test_edit_leaves_out_what_only_generation_takes(openai, openai_fake):
    params = {"moderation": "low", "quality": "high", "input_fidelity": "high"}
    openai.run(
        ProviderRequest(Capability.PROMPT_EDIT, prompt="warmer", image=make_png(), params=params)
    )
    [sent] = openai_fake.requests
    assert sent.path == "/v1/images/edits"
    assert "moderation" not in sent.part_names
    assert sent.form["quality"] == "high" and sent.form["input_fidelity"] == "high"


def test_generation_still_sends_moderation(openai, openai_fake):
    openai.run(ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x", params={"moderation": "low"}))
    [sent] = openai_fake.requests
    assert sent.json["moderation"] == "low"


def test_the_fake_refuses_parameters_an_endpoint_does_not_take(openai_fake):
    import httpx

    headers = {"Authorization": f"Bearer {openai_fake.api_key}"}
    files = [
        ("model", (None, "gpt-image-1")),
        ("prompt", (None, "x")),
        ("moderation", (None, "low")),
        ("image", ("a.png", make_png(), "image/png")),
    ]
    answer = httpx.post(f"{openai_fake.base_url}/images/edits", headers=headers, files=files)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "moderation"
