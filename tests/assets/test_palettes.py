"""Several named palettes per image: each extraction keeps its own, the newest is the
image's palette, and the owner can rename or delete one."""

import pytest
from django.test import Client
from django.urls import reverse

from assets.models import Asset, AssetPalette
from assets.services import asset_palette_add
from studio.jobs import services as job_services
from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db

COLOURS = [
    {"hex": "#1d3557", "rgb": [29, 53, 87], "share": 0.5},
    {"hex": "#e63946", "rgb": [230, 57, 70], "share": 0.5},
]


def _extract(client, asset, **data) -> Job:
    """Run the palette tool from the image's action menu through the job pipeline."""
    before = set(Job.objects.filter(operation="tools.palette").values_list("pk", flat=True))
    response = client.post(f"/assets/{asset.public_id}/run/tools.palette/", data, **HTMX)
    job = Job.objects.filter(operation="tools.palette").exclude(pk__in=before).get()
    assert response.status_code < 400
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job


@pytest.fixture
def palette(alice_asset):
    return asset_palette_add(asset=alice_asset, colours=COLOURS, mode="muted")


def _url(palette, action: str) -> str:
    return reverse(f"assets:palette_{action}", args=[palette.asset.public_id, palette.public_id])


def test_two_extractions_keep_two_palettes(alice_client, alice_asset):
    first = _extract(alice_client, alice_asset, count=3, mode="dominant")
    second = _extract(alice_client, alice_asset, count=4, mode="vibrant")

    alice_asset.refresh_from_db()
    newest, oldest = alice_asset.palettes.all()
    assert (oldest.mode, oldest.colours) == ("dominant", first.result["palette"])
    assert (newest.mode, newest.colours) == ("vibrant", second.result["palette"])
    assert oldest.name == f"Dominant · {len(oldest.colours)} colours"
    assert newest.name == f"Vibrant · {len(newest.colours)} colours"
    # The image's own palette is the newest one (tags, search and apply palette read it).
    assert alice_asset.palette == second.result["palette"]
    html = alice_client.get(alice_asset.get_absolute_url()).content.decode()
    assert oldest.name in html and newest.name in html
    for colour in oldest.colours + newest.colours:
        assert f'data-copy="{colour["hex"]}"' in html


def test_default_names_stay_distinct(alice_asset):
    a = asset_palette_add(asset=alice_asset, colours=COLOURS, mode="vibrant")
    b = asset_palette_add(asset=alice_asset, colours=COLOURS, mode="vibrant")
    c = asset_palette_add(asset=alice_asset, colours=COLOURS, mode="")
    named = asset_palette_add(asset=alice_asset, colours=COLOURS, mode="odd", name=" Brand ")
    assert a.name == "Vibrant · 2 colours"
    assert b.name == "Vibrant · 2 colours (2)"
    assert c.name == "Palette 3"
    assert (named.name, named.mode) == ("Brand", "")
    assert alice_asset.palettes.count() == 4


def test_owner_renames_a_palette(alice_client, palette):
    response = alice_client.post(_url(palette, "rename"), {"name": "  Autumn  "})
    assert response.status_code == 302
    assert response["Location"] == palette.asset.get_absolute_url()
    palette.refresh_from_db()
    assert palette.name == "Autumn"


def test_rename_over_htmx_answers_the_list(alice_client, palette):
    response = alice_client.post(_url(palette, "rename"), {"name": "Shop"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Shop" in html and 'hx-target="#palettes"' in html
    palette.refresh_from_db()
    assert palette.name == "Shop"


def test_a_blank_name_is_refused(alice_client, palette):
    response = alice_client.post(_url(palette, "rename"), {"name": "   "}, **HTMX)
    assert "1 to 80 characters" in response.content.decode()
    palette.refresh_from_db()
    assert palette.name == "Muted · 2 colours"


def test_owner_deletes_a_palette_and_the_image_palette_follows(alice_client, alice_asset):
    older = asset_palette_add(asset=alice_asset, colours=COLOURS[:1], mode="dominant")
    newest = asset_palette_add(asset=alice_asset, colours=COLOURS, mode="muted")
    alice_asset.refresh_from_db()
    assert alice_asset.palette == COLOURS

    response = alice_client.post(_url(newest, "delete"))
    assert response.status_code == 302
    assert list(alice_asset.palettes.all()) == [older]
    alice_asset.refresh_from_db()
    assert alice_asset.palette == COLOURS[:1]

    response = alice_client.post(_url(older, "delete"), **HTMX)
    assert response.status_code == 200
    assert not AssetPalette.objects.filter(asset=alice_asset).exists()


def test_another_user_gets_404(bob_client, palette):
    for action in ("rename", "delete"):
        for extra in ({}, HTMX):
            response = bob_client.post(_url(palette, action), {"name": "Mine"}, **extra)
            assert response.status_code == 404
    palette.refresh_from_db()
    assert palette.name == "Muted · 2 colours"


def test_a_palette_of_another_image_is_404(alice_client, alice, palette):
    other = AssetFactory(owner=alice)
    url = reverse("assets:palette_delete", args=[other.public_id, palette.public_id])
    assert alice_client.post(url).status_code == 404
    assert AssetPalette.objects.filter(pk=palette.pk).exists()


def test_anonymous_is_sent_to_sign_in(palette):
    client = Client()
    for action in ("rename", "delete"):
        response = client.post(_url(palette, action), {"name": "Mine"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert AssetPalette.objects.filter(pk=palette.pk, name="Muted · 2 colours").exists()


def test_get_is_not_allowed(alice_client, palette):
    assert alice_client.get(_url(palette, "delete")).status_code == 405
    assert AssetPalette.objects.filter(pk=palette.pk).exists()


def test_csrf_is_required(alice, palette):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(_url(palette, "delete")).status_code == 403
    assert AssetPalette.objects.filter(pk=palette.pk).exists()


def test_deleting_the_image_deletes_its_palettes(palette):
    Asset.objects.filter(pk=palette.asset.pk).delete()
    assert not AssetPalette.objects.exists()
