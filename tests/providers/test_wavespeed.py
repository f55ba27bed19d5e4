"""WaveSpeed client against the fake WaveSpeed server over real HTTP."""

from __future__ import annotations

import base64
import io
import struct
import wave

import pytest

from providers.base import (
    Canceled,
    Capability,
    ContentFiltered,
    InsufficientProviderBalance,
    InvalidInput,
    ProviderConfigError,
    ProviderError,
    ProviderRequest,
    ProviderTimeout,
    RateLimited,
)
from providers.http.retry import RetryPolicy
from providers.wavespeed import WaveSpeedProvider

from .conftest import image_size, make_png, output_bytes

QWEN = "wavespeed-ai/qwen-image/text-to-image"


def make_wav(seconds: float = 0.2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<h", 0) * int(8000 * seconds))
    return buf.getvalue()


def submits(fake):
    return [r for r in fake.requests if r.method == "POST" and "/predictions/" not in r.path]


def polls(fake):
    return fake.requests_to("/predictions/", "GET")


def test_qwen_sync_mode_completes_in_one_call_and_downloads_without_auth(wavespeed, wavespeed_fake):
    result = wavespeed.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            model=QWEN,
            prompt="a red bicycle",
            width=512,
            height=768,
            seed=5,
            output_format="png",
        )
    )
    [submit] = submits(wavespeed_fake)
    assert submit.path == f"/api/v3/{QWEN}"
    assert submit.headers["authorization"] == f"Bearer {wavespeed_fake.api_key}"
    assert submit.headers["content-type"] == "application/json"
    assert submit.json == {
        "prompt": "a red bicycle",
        "seed": 5,
        "size": "512*768",
        "output_format": "png",
        "enable_sync_mode": True,
        "enable_base64_output": False,
    }
    assert polls(wavespeed_fake) == []
    [download] = wavespeed_fake.requests_to("/files/", "GET")
    assert "authorization" not in download.headers
    [out] = result.outputs
    assert (out.width, out.height) == (512, 768)
    assert out.content_type == "image/png"
    assert out.meta["url"].startswith(wavespeed_fake.host_url)
    assert image_size(output_bytes(out)) == (512, 768)
    assert result.meta["task_id"]


def test_async_mode_polls_until_completed(wavespeed_fake, clock):
    wavespeed_fake.polls_before_complete = 3
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, sync_mode=False
    )
    result = provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    assert len(polls(wavespeed_fake)) == 4
    assert all(p.path.endswith("/result") for p in polls(wavespeed_fake))
    assert clock.sleeps == [1.0, 1.0, 1.0]
    assert result.outputs[0].width == 1024
    output_bytes(result.outputs[0])
    provider.close()


def test_sync_mode_timeout_falls_back_to_polling(wavespeed, wavespeed_fake):
    wavespeed_fake.inject("sync_timeout")
    wavespeed_fake.polls_before_complete = 1
    result = wavespeed.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    assert len(polls(wavespeed_fake)) == 2
    assert result.outputs
    output_bytes(result.outputs[0])


def test_base64_output_is_decoded(wavespeed_fake, clock):
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, base64_output=True
    )
    result = provider.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            model=QWEN,
            prompt="x",
            width=300,
            height=256,
            output_format="webp",
        )
    )
    assert submits(wavespeed_fake)[0].json["enable_base64_output"] is True
    assert wavespeed_fake.requests_to("/files/") == []
    [out] = result.outputs
    assert out.data is not None and out.content_type == "image/webp"
    assert (out.width, out.height) == (300, 256)
    provider.close()


@pytest.mark.parametrize(
    ("model", "price"),
    [
        ("ideogram-ai/ideogram-v3-turbo", 0.03),
        ("ideogram-ai/ideogram-v3-balanced", 0.06),
        ("ideogram-ai/ideogram-v3-quality", 0.09),
    ],
)
def test_ideogram_models(wavespeed, wavespeed_fake, model, price):
    result = wavespeed.run(
        ProviderRequest(
            Capability.TEXT_TO_IMAGE,
            model=model,
            prompt="poster with the word SALE",
            aspect_ratio="16:9",
        )
    )
    body = submits(wavespeed_fake)[0].json
    assert body["aspect_ratio"] == "16:9" and body["style"] == "Auto"
    out = result.outputs[0]
    assert out.width > out.height
    output_bytes(out)
    assert wavespeed.model(model).unit_price == price


def test_qwen_edit_sends_the_image_as_data_uri(wavespeed, wavespeed_fake):
    source = make_png(400, 300)
    result = wavespeed.run(
        ProviderRequest(
            Capability.PROMPT_EDIT, prompt="make it night", image=source, output_format="jpeg"
        )
    )
    body = submits(wavespeed_fake)[0].json
    assert body["image"].startswith("data:image/png;base64,")
    assert base64.b64decode(body["image"].split(",", 1)[1]) == source
    out = result.outputs[0]
    assert (out.width, out.height) == (400, 300) and out.content_type == "image/jpeg"
    output_bytes(out)


def test_large_inputs_go_through_media_upload(wavespeed_fake, clock):
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, inline_limit=100
    )
    source = make_png(300, 300)
    result = provider.run(ProviderRequest(Capability.PROMPT_EDIT, prompt="x", image=source))
    [upload] = wavespeed_fake.requests_to("/media/upload/binary", "POST")
    assert upload.file("file").data == source
    body = wavespeed_fake.requests_to("qwen-image/edit", "POST")[0].json
    assert body["image"].startswith(wavespeed_fake.host_url + "/files/")
    output_bytes(result.outputs[0])
    provider.close()


def test_wan_image_to_video_polls_and_streams_the_mp4(wavespeed, wavespeed_fake, clock):
    wavespeed_fake.video_size = 900_000
    result = wavespeed.run(
        ProviderRequest(
            Capability.IMAGE_TO_VIDEO,
            prompt="the cat turns its head",
            negative_prompt="blur",
            image=make_png(320, 240),
            extra_images={"audio": make_wav()},
            params={"resolution": "480p", "duration": "10"},
        )
    )
    body = submits(wavespeed_fake)[0].json
    assert body["resolution"] == "480p" and body["duration"] == 10
    assert body["audio"].startswith("data:audio/wav;base64,")
    assert "enable_sync_mode" not in body
    assert len(polls(wavespeed_fake)) == 3
    assert clock.sleeps == [2.0, 2.0]
    [out] = result.outputs
    assert out.content_type == "video/mp4" and out.extension == "mp4"
    assert out.file is not None and out.data is None
    data = output_bytes(out)
    assert len(data) == 900_000 and data[4:8] == b"ftyp"


def test_infinitetalk_sends_image_audio_and_mask(wavespeed, wavespeed_fake):
    result = wavespeed.run(
        ProviderRequest(
            Capability.TALKING_AVATAR,
            image=make_png(256, 256),
            mask=make_png(256, 256, mode="L"),
            extra_images={"audio": make_wav()},
            params={"resolution": "720p"},
        )
    )
    body = submits(wavespeed_fake)[0].json
    assert submits(wavespeed_fake)[0].path.endswith("/wavespeed-ai/infinitetalk")
    assert {"image", "audio", "mask_image", "resolution"} <= set(body)
    output_bytes(result.outputs[0])


def test_balance_and_price(wavespeed, wavespeed_fake):
    assert wavespeed.balance() == 25.0
    assert wavespeed.price(QWEN, {"prompt": "x"}) == 0.02


# --------------------------------------------------------------------------- errors


def test_failed_task_is_an_error_with_its_text(wavespeed, wavespeed_fake):
    wavespeed_fake.inject("task_failed")
    with pytest.raises(ProviderError, match="out of memory") as info:
        wavespeed.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    assert not info.value.transient


def test_nsfw_failure_is_content_filtered(wavespeed_fake, clock):
    wavespeed_fake.inject("nsfw")
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, sync_mode=False
    )
    with pytest.raises(ContentFiltered):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    provider.close()


def test_envelope_code_other_than_200_is_an_error(wavespeed, wavespeed_fake):
    wavespeed_fake.inject(
        "envelope_error", code=400, message="prompt contains unsupported characters"
    )
    with pytest.raises(InvalidInput, match="unsupported characters"):
        wavespeed.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))


def test_insufficient_balance_is_detected_from_the_message(wavespeed, wavespeed_fake):
    wavespeed_fake.inject("insufficient_balance")
    with pytest.raises(InsufficientProviderBalance):
        wavespeed.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))


def test_unauthorized(wavespeed, wavespeed_fake):
    wavespeed_fake.inject("unauthorized")
    with pytest.raises(ProviderConfigError):
        wavespeed.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))


def test_429_on_submit_is_retried(wavespeed, wavespeed_fake, clock):
    wavespeed_fake.inject("rate_limit", retry_after=2)
    result = wavespeed.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    assert len(submits(wavespeed_fake)) == 2
    assert clock.sleeps == [2.0]
    output_bytes(result.outputs[0])


def test_5xx_while_polling_is_retried(wavespeed_fake, clock):
    wavespeed_fake.inject("server_error", path="/predictions/", status=502)
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, sync_mode=False
    )
    result = provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    assert len(polls(wavespeed_fake)) == 4  # one 502 plus the three regular polls
    output_bytes(result.outputs[0])
    provider.close()


def test_rate_limit_exhausted(wavespeed_fake, clock):
    wavespeed_fake.inject("rate_limit", retry_after=1, times=5)
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key,
        wavespeed_fake.base_url,
        clock=clock,
        retry=RetryPolicy(max_attempts=2),
    )
    with pytest.raises(RateLimited):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    provider.close()


def test_poll_deadline(wavespeed_fake, clock):
    wavespeed_fake.polls_before_complete = 10_000
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key,
        wavespeed_fake.base_url,
        clock=clock,
        sync_mode=False,
        poll_timeout=5,
    )
    with pytest.raises(ProviderTimeout):
        provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    assert len(polls(wavespeed_fake)) == 6  # at 0, 1, 2, 3, 4 and 5 s
    provider.close()


def test_cancel_between_polls(wavespeed_fake, clock):
    wavespeed_fake.polls_before_complete = 10_000
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, sync_mode=False
    )
    with pytest.raises(Canceled):
        provider.run(
            ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"),
            cancel=lambda: len(clock.sleeps) >= 2,
        )
    assert len(polls(wavespeed_fake)) == 2
    provider.close()


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": QWEN,
                "prompt": "x",
                "width": 2000,
                "height": 1024,
            },
            "at most 1536",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": QWEN,
                "prompt": "x",
                "width": 100,
                "height": 1024,
            },
            "at least 256",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": QWEN,
                "prompt": "x",
                "negative_prompt": "y",
            },
            "negative prompt",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": "ideogram-ai/ideogram-v3-turbo",
                "prompt": "x",
                "aspect_ratio": "21:9",
            },
            "aspect ratios",
        ),
        (
            {
                "capability": Capability.TEXT_TO_IMAGE,
                "model": "ideogram-ai/ideogram-v3-turbo",
                "prompt": "x",
                "params": {"style": "Anime"},
            },
            "Style",
        ),
        (
            {
                "capability": Capability.IMAGE_TO_VIDEO,
                "prompt": "x",
                "image": make_png(),
                "params": {"duration": "7"},
            },
            "Seconds",
        ),
        (
            {
                "capability": Capability.IMAGE_TO_VIDEO,
                "prompt": "x",
                "image": make_png(),
                "params": {"resolution": "4k"},
            },
            "Resolution",
        ),
        ({"capability": Capability.TALKING_AVATAR, "image": make_png()}, "audio"),
        (
            {
                "capability": Capability.TALKING_AVATAR,
                "image": make_png(),
                "extra_images": {"audio": b"not audio at all"},
            },
            "MP3 or WAV",
        ),
        ({"capability": Capability.PROMPT_EDIT, "prompt": "x"}, "input image"),
        (
            {"capability": Capability.TEXT_TO_IMAGE, "model": QWEN, "prompt": "x", "seed": -2},
            "seed",
        ),
    ],
)
def test_invalid_requests_never_reach_the_network(wavespeed, wavespeed_fake, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        wavespeed.run(ProviderRequest(**kwargs))
    assert wavespeed_fake.requests == []


def test_polling_follows_the_tasks_own_result_address(wavespeed_fake, clock):
    wavespeed_fake.result_url = "{base}/predictions/{id}"  # the newer, shorter address
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, sync_mode=False
    )
    result = provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    task_id = result.meta["task_id"]
    assert [p.path for p in polls(wavespeed_fake)] == [f"/api/v3/predictions/{task_id}"] * 3
    output_bytes(result.outputs[0])
    provider.close()


def test_a_result_address_on_another_host_is_not_sent_the_key(wavespeed_fake, clock):
    wavespeed_fake.result_url = "https://elsewhere.example/predictions/{id}"
    provider = WaveSpeedProvider(
        wavespeed_fake.api_key, wavespeed_fake.base_url, clock=clock, sync_mode=False
    )
    result = provider.run(ProviderRequest(Capability.TEXT_TO_IMAGE, model=QWEN, prompt="x"))
    task_id = result.meta["task_id"]
    paths = {p.path for p in polls(wavespeed_fake)}
    assert paths == {f"/api/v3/predictions/{task_id}/result"}  # the documented address
    output_bytes(result.outputs[0])
    provider.close()
