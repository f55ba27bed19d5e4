"""An offline feature this server lacks: creators are told so, only staff see the command."""

import pytest
from django.test import Client

from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq_missing(monkeypatch):
    from providers.local import upscale

    monkeypatch.setattr(upscale, "hq_available", lambda: False)


def _form(client, asset) -> str:
    return client.get(f"/assets/{asset.public_id}/run/upscale.hq/", **HTMX).content.decode()


def test_a_creator_reads_that_it_is_not_installed_on_this_server(
    alice_client, alice_asset, hq_missing
):
    html = _form(alice_client, alice_asset)
    assert "High-quality upscaling is not installed on this server." in html
    assert "Ask the person who runs this studio" in html
    assert "pip install" not in html and "imagestudio[hq]" not in html
    assert "disabled" in html


def test_staff_also_see_the_install_command(alice_asset, hq_missing):
    staff = UserFactory(username="ops", is_staff=True)
    alice_asset.owner = staff
    alice_asset.save(update_fields=["owner"])
    client = Client()
    client.force_login(staff)
    html = _form(client, alice_asset)
    assert "not installed on this server" in html
    assert "<code>pip install &#x27;imagestudio[hq]&#x27;</code>" in html


def test_a_post_for_a_missing_feature_creates_no_job(alice_client, alice_asset, hq_missing):
    response = alice_client.post(
        f"/assets/{alice_asset.public_id}/run/upscale.hq/", {"output_format": "png"}, **HTMX
    )
    html = response.content.decode()
    assert "not installed on this server" in html and "pip install" not in html
    assert not Job.objects.exists()


def test_an_installed_feature_says_nothing_of_the_sort(alice_client, alice_asset, monkeypatch):
    from providers.local import upscale

    monkeypatch.setattr(upscale, "fast_available", lambda: True)
    html = alice_client.get(
        f"/assets/{alice_asset.public_id}/run/upscale.fast/", **HTMX
    ).content.decode()
    assert "not installed" not in html
