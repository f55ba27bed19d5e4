"""Transform through the real WaveSpeed and Stability clients against their fake servers:
image to video (submit → poll → result), the talking avatar priced by the speech's measured
length, image to 3D; bad recordings and plans refused on the form before any hold."""

import base64
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset
from billing.models import CreditAccount
from providers.fakes import wavespeed as fake_wavespeed
from studio.jobs import services
from studio.jobs.models import Job
from studio.transform import forms as transform_forms
from tests.conftest import HTMX
from tests.factories import AssetFactory

from .media import make_audio, make_mp4

pytestmark = pytest.mark.django_db


def _post(client, asset, key, **data):
    response = client.post(f"/assets/{asset.public_id}/run/{key}/", data, **HTMX)
    job = Job.objects.filter(operation=key).order_by("-id").first()
    return unescape(response.content.decode()), job


def _audio(seconds=3.0, fmt="wav", name=None, silent=False):
    data = make_audio(seconds, fmt=fmt, silent=silent)
    return SimpleUploadedFile(name or f"speech.{fmt}", data, content_type=f"audio/{fmt}")


@pytest.fixture
def real_video(monkeypatch):
    """The fake WaveSpeed answers with a real, playable H.264 MP4."""
    clip = make_mp4(1.5)
    monkeypatch.setattr(fake_wavespeed, "make_mp4", lambda size=0: clip)
    return clip


def test_the_page_offers_the_three_transforms_with_their_options(
    alice_client, alice, providers_on, on_plan
):
    providers_on("wavespeed", "stability")
    on_plan("pro")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html = alice_client.get(f"/transform/{asset.public_id}/").content.decode()
    for key in ("transform.image_to_video", "transform.talking_avatar", "transform.image_to_3d"):
        assert f'data-op="{key}"' in html
    assert (
        'value="1080p"' in html
        and 'value="10"' in html
        and 'name="enable_prompt_expansion"' in html
    )
    assert "vendor/model-viewer/model-viewer.min.js" in html
    assert "Make video · 50 credits" in html  # 5 s at 720p, before anything is typed
    html = alice_client.get(
        f"/transform/{asset.public_id}/?op=transform.image_to_3d"
    ).content.decode()
    for name in ("texture_resolution", "foreground_ratio", "remesh", "vertex_count"):
        assert f'name="{name}"' in html


def test_video_costs_by_duration_and_resolution(alice, providers_on, on_plan):
    from studio.jobs.registry import get_operation

    providers_on("wavespeed")
    on_plan("pro")
    asset = AssetFactory(owner=alice, size=(320, 240))
    op = get_operation("transform.image_to_video")
    prices = {}
    for res in ("480p", "720p", "1080p"):
        for secs in ("5", "10"):
            form = op.form_class(
                {"prompt": "waves", "resolution": res, "duration": secs, "engine": "auto"},
                asset=asset,
            )
            assert form.is_valid(), form.errors
            params = op.build_params(dict(form.cleaned_data), [asset])
            prices[res, secs] = services.job_quote(operation=op, params=params).credits
    assert prices == {
        ("480p", "5"): 25,
        ("480p", "10"): 50,
        ("720p", "5"): 50,
        ("720p", "10"): 100,
        ("1080p", "5"): 75,
        ("1080p", "10"): 150,
    }


def test_image_to_video_is_submitted_polled_and_stored_as_a_video_with_a_poster(
    alice_client, alice, providers_on, on_plan, real_video
):
    servers = providers_on("wavespeed")
    on_plan("pro")
    start = CreditAccount.objects.get(user=alice).balance
    asset = AssetFactory(owner=alice, size=(320, 240))
    html, job = _post(
        alice_client,
        asset,
        "transform.image_to_video",
        engine="auto",
        prompt="the sea moves, slow push in",
        negative_prompt="text",
        resolution="1080p",
        duration="10",
        enable_prompt_expansion="on",
        seed="5",
    )
    assert job is not None, html
    assert (
        job.credits_estimated == 150
        and job.params["tier"] == "1080p"
        and job.params["seconds"] == 10
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [submit] = servers["wavespeed"].requests_to("alibaba/wan-2.5/image-to-video", "POST")
    body = submit.json
    assert body["prompt"] == "the sea moves, slow push in" and body["negative_prompt"] == "text"
    assert body["resolution"] == "1080p" and body["duration"] == 10
    assert body["enable_prompt_expansion"] is True and body["seed"] == 5
    assert body["image"].startswith("data:image/png;base64,") and "audio" not in body
    polls = servers["wavespeed"].requests_to("/predictions/", "GET")
    assert len(polls) >= 2  # "processing" first, then "completed"
    job.refresh_from_db()
    video = job.outputs.get()
    assert video.kind == Asset.Kind.VIDEO and video.content_type == "video/mp4"
    assert video.parent_id == asset.pk and video.source_module == "transform"
    assert (video.width, video.height) == (320, 240) and video.duration_seconds == pytest.approx(
        1.5, abs=0.1
    )
    assert video.thumbnail  # the poster frame
    assert job.credits_charged == 150
    assert CreditAccount.objects.get(user=alice).balance == start - 150


def test_a_soundtrack_is_validated_stored_and_sent(
    alice_client, alice, providers_on, on_plan, real_video
):
    servers = providers_on("wavespeed")
    on_plan("pro")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html, job = _post(
        alice_client,
        asset,
        "transform.image_to_video",
        prompt="rain",
        resolution="480p",
        duration="5",
        audio=_audio(4.0, "mp3"),
    )
    assert job is not None, html
    # The soundtrack is kept with the job as a private file, not added to the library.
    assert job.files.get().role == "audio" and not Asset.objects.filter(kind="audio").exists()
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [submit] = servers["wavespeed"].requests_to("alibaba/wan-2.5/image-to-video", "POST")
    assert submit.json["audio"].startswith("data:audio/mpeg;base64,")


def test_talking_avatar_is_priced_by_the_measured_speech(
    alice_client, alice, providers_on, on_plan, real_video
):
    servers = providers_on("wavespeed")
    on_plan("pro")
    portrait = AssetFactory(owner=alice, size=(320, 320))
    # The page's own reading of the length only prices the button; the server measures.
    html, job = _post(
        alice_client,
        portrait,
        "transform.talking_avatar",
        resolution="720p",
        audio=_audio(7.0, "wav"),
        duration_hint="1",
    )
    assert job is not None, html
    assert job.params["seconds"] == pytest.approx(7.0, abs=0.05)
    assert job.credits_estimated == 42  # 7 s × 6 credits at 720p
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [submit] = servers["wavespeed"].requests_to("wavespeed-ai/infinitetalk", "POST")
    assert submit.json["resolution"] == "720p"
    assert base64.b64decode(submit.json["audio"].split(",", 1)[1])[:4] == b"RIFF"
    job.refresh_from_db()
    assert job.outputs.get().kind == Asset.Kind.VIDEO and job.credits_charged == 42


def test_a_browser_recording_is_converted_to_wav(alice_client, alice, providers_on, on_plan):
    providers_on("wavespeed")
    on_plan("pro")
    portrait = AssetFactory(owner=alice, size=(320, 320))
    html, job = _post(
        alice_client,
        portrait,
        "transform.talking_avatar",
        resolution="480p",
        audio=_audio(3.0, "webm", name="recording.webm"),
    )
    assert job is not None, html
    kept = job.files.get()
    assert kept.role == "audio" and kept.file.name.endswith(".wav")
    with kept.file.open("rb") as fh:
        assert fh.read(4) == b"RIFF"
    assert job.params["seconds"] == pytest.approx(3.0, abs=0.1)
    assert job.credits_estimated == 15  # the 5 s minimum at 3 credits a second


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: _audio(6.0), "longer than 5 seconds"),
        (
            lambda: SimpleUploadedFile("speech.mp3", b"ID3 not really an mp3 at all" * 20),
            "not audio we can read",
        ),
        (
            lambda: SimpleUploadedFile("notes.mp3", b"just some text, named like audio"),
            "not audio we can read",
        ),
        (lambda: _audio(3.0, silent=True), "The recording is silent"),
        (lambda: SimpleUploadedFile("empty.wav", b""), "empty"),
    ],
)
def test_bad_recordings_get_a_message_and_nothing_is_stored_or_held(
    alice_client, alice, providers_on, on_plan, monkeypatch, upload, message
):
    providers_on("wavespeed")
    on_plan("pro")
    monkeypatch.setitem(transform_forms.AVATAR_AUDIO, "max", 5.0)
    portrait = AssetFactory(owner=alice, size=(320, 320))
    count = Asset.objects.count()
    html, job = _post(
        alice_client, portrait, "transform.talking_avatar", resolution="480p", audio=upload()
    )
    assert job is None
    assert message in html
    assert Asset.objects.count() == count
    assert CreditAccount.objects.get(user=alice).held == 0


def test_an_avatar_needs_a_recording(alice_client, alice, providers_on, on_plan):
    providers_on("wavespeed")
    on_plan("pro")
    portrait = AssetFactory(owner=alice, size=(320, 320))
    html, job = _post(alice_client, portrait, "transform.talking_avatar", resolution="480p")
    assert job is None and "Upload or record the speech" in html


def test_a_failed_video_task_releases_the_hold(alice_client, alice, providers_on, on_plan):
    servers = providers_on("wavespeed")
    on_plan("pro")
    start = CreditAccount.objects.get(user=alice).balance
    asset = AssetFactory(owner=alice, size=(320, 240))
    servers["wavespeed"].inject("task_failed")
    _, job = _post(
        alice_client,
        asset,
        "transform.image_to_video",
        prompt="waves",
        resolution="720p",
        duration="5",
    )
    assert CreditAccount.objects.get(user=alice).held == 50
    assert services.job_run(job_id=job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert "WaveSpeed AI failed" in job.error
    account = CreditAccount.objects.get(user=alice)
    assert account.held == 0 and account.balance == start


def test_image_to_3d_makes_a_glb_model_asset(
    alice_client, alice, providers_on, on_plan, monkeypatch
):
    servers = providers_on("stability")
    monkeypatch.setattr(type(servers["stability"]), "glb_size", 0, raising=False)
    on_plan("pro")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html, job = _post(
        alice_client,
        asset,
        "transform.image_to_3d",
        engine="auto",
        texture_resolution="2048",
        foreground_ratio="0.7",
        remesh="quad",
        vertex_count="5000",
    )
    assert job is not None, html
    assert job.credits_estimated == 10
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [call] = servers["stability"].requests_to("/3d/stable-fast-3d", "POST")
    assert call.form["texture_resolution"] == "2048" and call.form["foreground_ratio"] == "0.7"
    assert call.form["remesh"] == "quad" and call.form["vertex_count"] == "5000"
    assert call.file("image") is not None
    job.refresh_from_db()
    model = job.outputs.get()
    assert model.kind == Asset.Kind.MODEL3D and model.content_type == "model/gltf-binary"
    assert model.file.name.endswith(".glb") and model.thumbnail
    detail = alice_client.get(model.get_absolute_url()).content.decode()
    assert "<model-viewer" in detail and "vendor/model-viewer/model-viewer.min.js" in detail


def test_3d_on_a_plan_without_transform_is_refused_on_the_form(
    alice_client, alice, providers_on, on_plan
):
    providers_on("stability")
    on_plan("creator")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html, job = _post(
        alice_client,
        asset,
        "transform.image_to_3d",
        texture_resolution="1024",
        foreground_ratio="0.85",
        remesh="none",
        vertex_count="-1",
    )
    assert job is None and "Your Creator plan doesn't include Transform. Upgrade to Pro" in html
    assert CreditAccount.objects.get(user=alice).held == 0


def test_an_image_too_large_for_3d_is_refused_on_the_form(
    alice_client, alice, providers_on, on_plan
):
    providers_on("stability")
    on_plan("pro")
    asset = AssetFactory(owner=alice, size=(64, 48))
    Asset.objects.filter(pk=asset.pk).update(width=4000, height=3000)
    asset.refresh_from_db()
    html, job = _post(
        alice_client,
        asset,
        "transform.image_to_3d",
        texture_resolution="1024",
        foreground_ratio="0.85",
        remesh="none",
        vertex_count="-1",
    )
    assert job is None and "takes at most 4.2 MP" in html
