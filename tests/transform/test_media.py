"""Video, audio and 3D files as first-class library items: poster frames, waveforms and
3D previews made offline, seeking through HTTP Range requests, type filters, MIME types."""

import io

import pytest
from PIL import Image

from assets.media import render_glb
from assets.models import Asset
from assets.ranges import parse_range
from assets.services import asset_create_audio, asset_create_output
from providers.fakes.media import make_glb as fake_glb
from providers.fakes.media import make_mp4 as fake_mp4

from .media import make_audio, make_glb_cube, make_mp4

pytestmark = pytest.mark.django_db


def _output(owner, data, content_type, ext):
    return asset_create_output(
        owner=owner,
        fh=io.BytesIO(data),
        content_type=content_type,
        extension=ext,
        source_module="transform",
        operation="transform.image_to_video",
    )


def _thumb(asset) -> Image.Image:
    with asset.thumbnail.open("rb") as fh:
        img = Image.open(io.BytesIO(fh.read()))
        img.load()
        return img


def test_a_video_gets_its_size_duration_and_a_poster_frame(alice):
    video = _output(alice, make_mp4(2.0, size=(320, 240)), "video/mp4", "mp4")
    assert video.kind == Asset.Kind.VIDEO
    assert (video.width, video.height) == (320, 240)
    assert video.duration_seconds == pytest.approx(2.0, abs=0.05)
    poster = _thumb(video).convert("RGB")
    # The poster is a real frame: the clip's blue background and its yellow bar.
    colours = {c for _, c in poster.getcolors(1 << 16)}
    assert any(b > 140 and r < 80 for r, g, b in colours) and any(
        r > 220 and g > 180 and b < 120 for r, g, b in colours
    )


def test_an_audio_file_gets_its_duration_and_a_waveform(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = make_audio(4.0, fmt="mp3")
    audio = asset_create_audio(
        owner=alice,
        uploaded=SimpleUploadedFile("hello.mp3", data),
        filename="hello.mp3",
        max_seconds=60,
        max_bytes=10**7,
    )
    assert audio.kind == Asset.Kind.AUDIO and audio.content_type == "audio/mpeg"
    assert audio.duration_seconds == pytest.approx(4.0, abs=0.1)
    wave = _thumb(audio).convert("RGB")
    w, h = wave.size
    middle = [wave.getpixel((x, h // 2)) for x in range(0, w, 8)]
    assert sum(1 for p in middle if p[2] > 90) > len(middle) * 0.7  # bars cross the middle


def test_a_glb_model_gets_a_rendered_preview():
    image, triangles = render_glb(make_glb_cube())
    assert triangles == 12
    import numpy as np

    rgb = np.asarray(image.convert("RGB")).astype(int)
    lit = (rgb[..., 0] > 60) & (abs(rgb[..., 0] - rgb[..., 2]) < 60)
    assert lit.mean() > 0.2  # the cube covers a good part of the frame


def test_a_3d_output_is_a_model_asset_with_a_preview(alice):
    model = _output(alice, make_glb_cube(), "model/gltf-binary", "glb")
    assert model.kind == Asset.Kind.MODEL3D and model.metadata["triangles"] == 12
    assert model.thumbnail


def test_unreadable_media_still_get_a_labelled_card(alice):
    video = _output(alice, fake_mp4(4096), "video/mp4", "mp4")
    model = _output(alice, fake_glb(4096), "model/gltf-binary", "glb")
    assert video.thumbnail and video.metadata["poster"] == "unreadable"
    assert model.thumbnail and model.metadata["preview"] == "unreadable"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=990-2000", (990, 999)),
        ("bytes=1000-", "unsatisfiable"),
        ("bytes=5-1", None),
        ("items=0-1", None),
        ("bytes=0-1,5-9", None),
    ],
)
def test_range_headers(header, expected):
    assert parse_range(header, 1000) == expected


def test_the_file_view_answers_range_requests_with_206(alice_client, alice):
    data = make_mp4(1.0)
    video = _output(alice, data, "video/mp4", "mp4")
    url = video.file_url()
    full = alice_client.get(url)
    assert full.status_code == 200 and full["Accept-Ranges"] == "bytes"
    assert full["Content-Type"] == "video/mp4"
    assert b"".join(full.streaming_content) == data
    part = alice_client.get(url, HTTP_RANGE="bytes=100-1099")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1099/{len(data)}"
    assert part["Content-Length"] == "1000" and part["Content-Type"] == "video/mp4"
    assert b"".join(part.streaming_content) == data[100:1100]
    tail = alice_client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    beyond = alice_client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


def test_another_user_cannot_read_a_video_by_range(bob_client, alice):
    video = _output(alice, make_mp4(1.0), "video/mp4", "mp4")
    assert bob_client.get(video.file_url(), HTTP_RANGE="bytes=0-9").status_code == 404


def test_the_library_filters_by_type_and_shows_media_thumbnails(alice_client, alice):
    video = _output(alice, make_mp4(1.0), "video/mp4", "mp4")
    model = _output(alice, make_glb_cube(), "model/gltf-binary", "glb")
    html = alice_client.get("/library/?kind=video").content.decode()
    assert str(video.public_id) in html and str(model.public_id) not in html
    html = alice_client.get("/library/?kind=model3d").content.decode()
    assert str(model.public_id) in html and str(video.public_id) not in html
    detail = alice_client.get(video.get_absolute_url()).content.decode()
    assert "<video" in detail and f'poster="{video.thumbnail_url()}"' in detail


def test_media_types_are_known_for_storage_backends():
    import mimetypes

    assert mimetypes.guess_type("model.glb")[0] == "model/gltf-binary"
    assert mimetypes.guess_type("clip.mp4")[0] == "video/mp4"
    assert mimetypes.guess_type("speech.mp3")[0] == "audio/mpeg"
