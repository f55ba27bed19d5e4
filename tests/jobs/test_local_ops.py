"""The local engine's operations, run from an image's action menu through the pipeline."""

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets.models import Asset
from studio.jobs import services
from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import AssetFactory
from tests.utils import open_bytes, read_field

pytestmark = pytest.mark.django_db


def _png(arr) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def subject(alice):
    """A dark disc on a light, flat backdrop (200×160)."""
    h, w = 160, 200
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.full((h, w, 3), 235, dtype=np.uint8)
    arr[(xx - 100) ** 2 + (yy - 80) ** 2 < 45**2] = (40, 60, 160)
    asset = AssetFactory(owner=alice, size=(w, h), title="Disc")
    asset.file.save("disc.png", ContentFile(_png(arr)), save=True)
    return asset


def _mask_upload(w=200, h=160, box=(80, 60, 120, 100)) -> SimpleUploadedFile:
    arr = np.zeros((h, w), dtype=np.uint8)
    x1, y1, x2, y2 = box
    arr[y1:y2, x1:x2] = 255
    return SimpleUploadedFile("mask.png", _png(arr), content_type="image/png")


def _run(client, asset, key, data):
    response = client.post(f"/assets/{asset.public_id}/run/{key}/", data, **HTMX)
    job = Job.objects.filter(operation=key).order_by("-id").first()
    assert job is not None, response.content.decode()[:2000]
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job, job.outputs.get()


def test_action_menu_lists_every_local_operation(alice_client, subject):
    html = alice_client.get(subject.get_absolute_url()).content.decode()
    for key in (
        "tools.resize",
        "edit.remove_background",
        "edit.erase",
        "edit.outpaint",
        "edit.recolor",
        "edit.replace_background",
        "upscale.fast",
        "upscale.hq",
    ):
        assert f'data-op="{key}"' in html, key


def test_forms_follow_the_model_parameters(alice_client, subject):
    html = alice_client.get(
        f"/assets/{subject.public_id}/run/edit.outpaint/", **HTMX
    ).content.decode()
    for name in ("left", "right", "up", "down", "output_format"):
        assert f'name="{name}"' in html
    html = alice_client.get(f"/assets/{subject.public_id}/run/edit.erase/", **HTMX).content.decode()
    assert 'name="mask"' in html and 'type="file"' in html


def test_remove_background_makes_the_backdrop_transparent(alice_client, subject):
    job, out = _run(
        alice_client,
        subject,
        "edit.remove_background",
        {"output_format": "png", "feather": 1, "refine": "on", "output": "cutout"},
    )
    img = open_bytes(read_field(out.file)).convert("RGBA")
    assert out.parent == subject and img.size == (200, 160)
    assert img.getpixel((5, 5))[3] < 40  # corner of the backdrop
    assert img.getpixel((100, 80))[3] > 200  # centre of the subject
    assert out.has_alpha


def test_erase_changes_only_the_masked_area(alice_client, subject):
    # The mask covers the whole disc: the fill must come from the light backdrop.
    mask = _mask_upload(box=(50, 30, 150, 130))
    job, out = _run(
        alice_client,
        subject,
        "edit.erase",
        {"method": "auto", "output_format": "png", "mask": mask},
    )
    before = np.asarray(open_bytes(read_field(subject.file)).convert("RGB")).astype(int)
    after = np.asarray(open_bytes(read_field(out.file)).convert("RGB")).astype(int)
    assert np.abs(after[70:90, 90:110] - before[70:90, 90:110]).mean() > 20
    assert np.abs(after[:40, :40] - before[:40, :40]).max() <= 2
    assert job.inputs.count() == 1  # the image; the mask is the job's own file
    assert job.files.get().role == "mask"


def test_erase_without_a_mask_says_so_and_creates_nothing(alice_client, subject):
    response = alice_client.post(
        f"/assets/{subject.public_id}/run/edit.erase/",
        {"method": "auto", "output_format": "png"},
        **HTMX,
    )
    assert "A mask is required" in response.content.decode()
    assert not Job.objects.exists()


def test_a_corrupt_mask_is_refused(alice_client, subject):
    bad = SimpleUploadedFile("mask.png", b"\x89PNG not really", content_type="image/png")
    response = alice_client.post(
        f"/assets/{subject.public_id}/run/edit.erase/",
        {"method": "auto", "output_format": "png", "mask": bad},
        **HTMX,
    )
    assert response.status_code == 200 and "image" in response.content.decode().lower()
    assert not Job.objects.exists()
    assert Asset.objects.count() == 1


def test_upscale_fast_doubles_the_size(alice_client, subject):
    _, out = _run(alice_client, subject, "upscale.fast", {"scale": "2", "output_format": "png"})
    assert (out.width, out.height) == (400, 320)


def test_outpaint_extends_the_canvas(alice_client, subject):
    _, out = _run(
        alice_client,
        subject,
        "edit.outpaint",
        {"left": 0, "right": 40, "up": 10, "down": 0, "method": "auto", "output_format": "png"},
    )
    assert (out.width, out.height) == (240, 170)


def test_recolor_moves_the_masked_colour(alice_client, subject):
    _, out = _run(
        alice_client,
        subject,
        "edit.recolor",
        {
            "color": "#d02020",
            "strength": 1,
            "lightness": 0,
            "output_format": "png",
            "mask": _mask_upload(),
        },
    )
    r, g, b = open_bytes(read_field(out.file)).convert("RGB").getpixel((100, 80))
    assert r > b  # was blue, now red-ish
    assert open_bytes(read_field(out.file)).convert("RGB").getpixel((5, 5)) == (235, 235, 235)


def test_replace_background_with_a_colour(alice_client, subject):
    _, out = _run(
        alice_client,
        subject,
        "edit.replace_background",
        {
            "background": "color",
            "color": "#10a050",
            "color2": "#ffffff",
            "angle": 0,
            "harmonize": 0.3,
            "light": "none",
            "light_strength": 0.25,
            "refine": "on",
            "feather": 1,
            "output_format": "png",
        },
    )
    r, g, b = open_bytes(read_field(out.file)).convert("RGB").getpixel((3, 3))
    assert g > r + 40 and g > b + 20


def test_a_model_that_is_not_installed_says_how_to_install_it(alice_client, subject, monkeypatch):
    from providers.local import upscale

    monkeypatch.setattr(upscale, "hq_available", lambda: False)
    html = alice_client.get(f"/assets/{subject.public_id}/run/upscale.hq/", **HTMX).content.decode()
    assert "not installed" in html and "disabled" in html


def test_a_refused_mask_job_leaves_no_mask_behind(alice_client, alice, subject):
    from billing.models import PriceRule

    PriceRule.objects.update_or_create(
        operation="edit.erase",
        provider="local",
        model="",
        tier="",
        defaults={"credits_per_unit": 10**6},
    )
    response = alice_client.post(
        f"/assets/{subject.public_id}/run/edit.erase/",
        {"method": "auto", "output_format": "png", "mask": _mask_upload()},
        **HTMX,
    )
    assert "more credits" in response.content.decode()
    assert not Job.objects.exists()
    assert list(Asset.objects.all()) == [subject]


def test_an_accepted_mask_is_kept_with_its_job_not_in_the_library(alice_client, subject):
    alice_client.post(
        f"/assets/{subject.public_id}/run/edit.erase/",
        {"method": "auto", "output_format": "png", "mask": _mask_upload()},
        **HTMX,
    )
    job = Job.objects.get()
    mask = job.files.get(role="mask")
    assert (mask.width, mask.height) == (200, 160)
    assert list(Asset.objects.all()) == [subject]
