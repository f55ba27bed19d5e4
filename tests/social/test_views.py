import io
import zipfile

import pytest
from django.core.files.base import ContentFile

from assets.models import Asset
from studio.jobs import services
from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import AssetFactory
from tests.utils import open_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(alice):
    """A 1200×800 photo-like PNG with a red subject in the upper right."""
    from tests.social.test_render import _scene

    asset = AssetFactory(owner=alice, size=(1200, 800), title="Beach Day")
    asset.file.save("scene.png", ContentFile(_scene(subject=(0.8, 0.3))), save=True)
    return asset


def _pack(client, asset, **data):
    payload = {
        "formats": ["instagram-square", "instagram-story", "youtube-thumbnail"],
        "mode": "smart",
        "pad": "blur",
        "format": "jpeg",
        "quality": 85,
        "focal_x": 0.8,
        "focal_y": 0.3,
        "focal_source": "user",
    }
    payload.update(data)
    return client.post(f"/assets/{asset.public_id}/run/social.pack/", payload, **HTMX)


def test_start_page_lists_my_images_only(alice_client, alice, bob):
    mine = AssetFactory(owner=alice, title="Mine")
    AssetFactory(owner=bob, title="Theirs")
    html = alice_client.get("/social/").content.decode()
    assert f"/social/{mine.public_id}/" in html and "Theirs" not in html


def test_social_page_shows_formats_previews_and_detects_the_subject(alice_client, photo):
    html = alice_client.get(f"/social/{photo.public_id}/").content.decode()
    assert 'id="social-formats"' in html and '"instagram-story"' in html
    assert 'id="focal-marker"' in html and 'id="social-previews"' in html
    # No focal point yet: the page asks for a detection job as soon as it loads.
    assert f"/assets/{photo.public_id}/run/social.focal/" in html and 'hx-trigger="load"' in html
    assert "Export pack · Free" in html or "Export pack ·" in html


def test_social_pages_are_private(bob_client, client, photo):
    assert bob_client.get(f"/social/{photo.public_id}/").status_code == 404
    assert bob_client.post(f"/assets/{photo.public_id}/run/social.pack/", {}).status_code == 404
    assert client.get(f"/social/{photo.public_id}/").status_code == 302


def test_pack_needs_a_format(alice_client, photo):
    response = _pack(alice_client, photo, formats=[])
    assert "Tick at least one format." in response.content.decode()
    assert not Job.objects.exists()


def test_pack_runs_as_one_job_and_saves_children(alice_client, alice, photo):
    response = _pack(alice_client, photo)
    job = Job.objects.get(operation="social.pack")
    assert f'id="job-{job.public_id}"' in response.content.decode()
    assert len(job.params["targets"]) == 3
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    outputs = list(job.outputs.order_by("id"))
    assert [o.metadata["file_name"] for o in outputs] == [
        "beach-day-instagram-square-1080x1080.jpg",
        "beach-day-instagram-story-1080x1920.jpg",
        "beach-day-youtube-thumbnail-1280x720.jpg",
    ]
    assert all(o.parent == photo and o.source_module == "social" for o in outputs)
    assert [(o.width, o.height) for o in outputs] == [(1080, 1080), (1080, 1920), (1280, 720)]
    photo.refresh_from_db()
    assert photo.focal_point["source"] == "user" and photo.focal_point["x"] == 0.8
    exports = sorted(photo.usage_events.filter(kind="export").values_list("context", flat=True))
    assert exports == ["instagram-square", "instagram-story", "youtube-thumbnail"]
    card = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert f"/jobs/{job.public_id}/download.zip" in card
    assert "beach-day-instagram-story-1080x1920.jpg" in card


def test_zip_streams_exactly_the_pack_with_clear_names(alice_client, photo):
    _pack(alice_client, photo, guides="on")
    job = Job.objects.get(operation="social.pack")
    services.job_run(job_id=job.pk)
    response = alice_client.get(f"/jobs/{job.public_id}/download.zip")
    assert response["Content-Type"] == "application/zip"
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == sorted(
        [
            "beach-day-instagram-square-1080x1080.jpg",
            "beach-day-instagram-square-1080x1080-safe-zone.jpg",
            "beach-day-instagram-story-1080x1920.jpg",
            "beach-day-instagram-story-1080x1920-safe-zone.jpg",
            "beach-day-youtube-thumbnail-1280x720.jpg",
            "beach-day-youtube-thumbnail-1280x720-safe-zone.jpg",
        ]
    )
    assert open_bytes(archive.read("beach-day-instagram-story-1080x1920.jpg")).size == (1080, 1920)


def test_zip_is_private(bob_client, alice_client, photo):
    _pack(alice_client, photo)
    job = Job.objects.get(operation="social.pack")
    services.job_run(job_id=job.pk)
    assert bob_client.get(f"/jobs/{job.public_id}/download.zip").status_code == 404


def test_focal_detection_runs_once_and_is_stored(alice_client, photo):
    alice_client.post(f"/assets/{photo.public_id}/run/social.focal/", **HTMX)
    job = Job.objects.get(operation="social.focal")
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    photo.refresh_from_db()
    assert photo.focal_point["source"] == "auto"
    # The red subject at (0.8, 0.3) is the salient thing in a flat grey picture.
    assert abs(photo.focal_point["x"] - 0.8) < 0.15 and abs(photo.focal_point["y"] - 0.3) < 0.15
    html = alice_client.get(f"/social/{photo.public_id}/").content.decode()
    assert 'hx-trigger="load"' not in html
    # A pack with the automatic point reuses the stored detection.
    _pack(alice_client, photo, focal_source="auto", focal_x=0.5, focal_y=0.5)
    pack = Job.objects.get(operation="social.pack")
    services.job_run(job_id=pack.pk)
    square = pack.outputs.get(metadata__format_key="instagram-square")
    assert square.metadata["crop"][0] > 0  # shifted right toward the subject, not centred


def test_flags_reach_the_rendition(alice_client, alice):
    small = AssetFactory(owner=alice, size=(300, 200), title="Tiny")
    _pack(alice_client, small, formats=["youtube-thumbnail"], focal_x=0.5, focal_y=0.5)
    job = Job.objects.get(operation="social.pack")
    services.job_run(job_id=job.pk)
    [out] = job.outputs.all()
    assert any("Too small" in f for f in out.metadata["flags"])
    assert "Too small" in alice_client.get(job.get_absolute_url(), **HTMX).content.decode()


def test_pack_price_is_quoted_from_the_number_of_formats(alice):
    from studio.jobs.registry import get_operation

    op = get_operation("social.pack")
    params = op.build_params({"formats": ["x-post", "x-header"]}, [])
    assert op.quantity(params) == 2
    assert Asset.objects.count() == 0


def test_detected_text_is_stored_once_and_flagged_in_packs(alice_client, alice):
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1080, 1920), (200, 220, 235))
    draw = ImageDraw.Draw(img)
    draw.ellipse((340, 700, 740, 1100), fill=(230, 20, 20))
    draw.text(
        (140, 1700), "NEW COLLECTION", fill=(10, 10, 10), font=ImageFont.load_default(size=80)
    )
    buf = io.BytesIO()
    img.save(buf, "PNG")
    asset = AssetFactory(owner=alice, size=(1080, 1920), title="Poster")
    asset.file.save("poster.png", ContentFile(buf.getvalue()), save=True)

    alice_client.post(f"/assets/{asset.public_id}/run/social.focal/", **HTMX)
    services.job_run(job_id=Job.objects.get(operation="social.focal").pk)
    asset.refresh_from_db()
    [text] = asset.focal_point["text"]
    assert text["y"] > 0.85

    _pack(alice_client, asset, formats=["instagram-story", "instagram-square"], focal_source="auto")
    pack = Job.objects.get(operation="social.pack")
    assert services.job_run(job_id=pack.pk) == Job.Status.SUCCEEDED
    story = pack.outputs.get(metadata__format_key="instagram-story")
    square = pack.outputs.get(metadata__format_key="instagram-square")
    assert any("Text in the image" in f for f in story.metadata["flags"])
    assert not any("Text in the image" in f for f in square.metadata["flags"])
