"""Apply palette: the form starts from the image's palette, previews live, runs as a job;
the image's palette downloads as .ase, .gpl and CSS."""

import io
import struct

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from studio.jobs import services
from studio.jobs.models import Job
from studio.jobs.registry import OPERATIONS
from tests.conftest import HTMX
from tests.factories import AssetFactory
from tests.utils import open_bytes, read_field

pytestmark = pytest.mark.django_db

PALETTE = [
    {"hex": "#1d3557", "rgb": [29, 53, 87], "share": 0.6},
    {"hex": "#e63946", "rgb": [230, 57, 70], "share": 0.4},
]


@pytest.fixture
def photo(alice):
    """A red-to-blue gradient with a stored palette."""
    x = np.linspace(0, 1, 120, dtype=np.float32)[None, :, None]
    arr = (np.array([220, 40, 60]) * (1 - x) + np.array([30, 60, 140]) * x).astype(np.uint8)
    arr = np.repeat(arr, 80, axis=0)
    asset = AssetFactory(owner=alice, size=(120, 80), title="Gradient")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    asset.file.save("gradient.png", ContentFile(buf.getvalue()), save=False)
    asset.palette = PALETTE
    asset.save()
    return asset


def test_it_is_in_the_catalog_as_an_offline_tool():
    op = OPERATIONS["tools.apply_palette"]
    assert op.module == "tools" and op.provider == "local" and op.runner is not None


def test_the_form_starts_from_the_images_palette_with_preview_and_downloads(alice_client, photo):
    html = alice_client.get(f"/assets/{photo.public_id}/run/tools.apply_palette/").content.decode()

    assert 'value="#1d3557 #e63946"' in html
    assert f"/tools/{photo.public_id}/palette-preview/" in html
    for ext in ("ase", "gpl", "css"):
        assert f"/tools/{photo.public_id}/palette.{ext}" in html


def test_running_it_makes_an_image_of_only_palette_colours(alice_client, photo):
    response = alice_client.post(
        f"/assets/{photo.public_id}/run/tools.apply_palette/",
        {"colors": "#1d3557, #e63946", "mode": "map", "strength": "1"},
        **HTMX,
    )
    job = Job.objects.get(operation="tools.apply_palette")
    assert response.status_code == 200

    services.job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    out = job.outputs.get()
    assert out.parent == photo
    arr = np.asarray(open_bytes(read_field(out.file)).convert("RGB"))
    assert arr.shape == (80, 120, 3)
    assert {tuple(p) for p in arr.reshape(-1, 3)} == {(29, 53, 87), (230, 57, 70)}
    assert tuple(arr[40, 5]) == (230, 57, 70) and tuple(arr[40, 115]) == (29, 53, 87)


def test_a_bad_colour_is_a_field_error_and_no_job(alice_client, photo):
    response = alice_client.post(
        f"/assets/{photo.public_id}/run/tools.apply_palette/",
        {"colors": "#1d3557 salmon", "mode": "map", "strength": "1"},
        **HTMX,
    )

    assert "hex colour" in response.content.decode()
    assert not Job.objects.exists()


def test_the_preview_shows_the_recoloured_image(alice_client, photo):
    url = f"/tools/{photo.public_id}/palette-preview/"
    html = alice_client.get(url, {"colors": "#ff0000 #0000ff", "mode": "map", "strength": "1"})
    html = html.content.decode()

    assert 'src="data:image/webp;base64,' in html
    b64 = html.split("base64,")[1].split('"')[0]
    import base64

    preview = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))
    assert preview.shape[1] <= 480
    left, right = preview[40, 3].astype(int), preview[40, -4].astype(int)
    assert left[0] > 200 and left[2] < 50  # the red end mapped to pure red (lossy WebP)
    assert right[2] > 200 and right[0] < 50  # the blue end to pure blue


def test_the_preview_explains_a_bad_palette(alice_client, photo):
    html = alice_client.get(
        f"/tools/{photo.public_id}/palette-preview/", {"colors": "#000", "strength": "1"}
    ).content.decode()

    assert "between 2 and 32" in html and "data:image" not in html


def test_the_palette_downloads(alice_client, photo):
    gpl = alice_client.get(f"/tools/{photo.public_id}/palette.gpl")
    css = alice_client.get(f"/tools/{photo.public_id}/palette.css")
    ase = alice_client.get(f"/tools/{photo.public_id}/palette.ase")

    assert gpl["Content-Disposition"] == 'attachment; filename="Gradient-palette.gpl"'
    assert gpl.content.decode().splitlines()[-2:] == [
        " 29  53  87\tColour 1",
        "230  57  70\tColour 2",
    ]
    assert "--palette-2: #e63946;" in css.content.decode()
    assert ase.content[:4] == b"ASEF" and struct.unpack(">I", ase.content[8:12]) == (4,)


def test_downloads_are_owner_only(bob_client, alice_client, photo):
    assert bob_client.get(f"/tools/{photo.public_id}/palette.gpl").status_code == 404
    assert bob_client.get(f"/tools/{photo.public_id}/palette-preview/").status_code == 404
    assert alice_client.get(f"/tools/{photo.public_id}/palette.pdf").status_code == 404


def test_an_image_without_a_stored_palette_downloads_its_dominant_colours(alice_client, photo):
    photo.palette = []
    photo.save()

    css = alice_client.get(f"/tools/{photo.public_id}/palette.css").content.decode()

    assert css.startswith(":root {") and "--palette-3:" in css
