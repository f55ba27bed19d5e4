"""Signed links never outlive SIGNED_URL_MAX_AGE and can be revoked one by one."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from assets.models import TemporaryLink
from assets.services import temp_link_create, temp_link_resolve
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_a_seven_day_request_is_capped_by_the_setting(alice_asset, settings):
    settings.SIGNED_URL_MAX_AGE = 3600
    url = temp_link_create(asset=alice_asset, seconds=7 * 86400)
    link = TemporaryLink.objects.get(asset=alice_asset)
    assert link.expires_at - link.created_at <= timedelta(seconds=3600)
    later = timezone.now() + timedelta(seconds=3601)
    with mock.patch("assets.services.timezone.now", return_value=later):
        assert temp_link_resolve(value=url.split("/")[3]) is None


def test_lowering_the_setting_ends_links_signed_before(alice_asset, settings):
    url = temp_link_create(asset=alice_asset, seconds=86400)
    settings.SIGNED_URL_MAX_AGE = 60
    with mock.patch("django.core.signing.time.time", return_value=timezone.now().timestamp() + 120):
        assert temp_link_resolve(value=url.split("/")[3]) is None


def test_the_form_offers_only_durations_under_the_cap(alice_client, alice_asset, settings):
    settings.SIGNED_URL_MAX_AGE = 3600
    html = alice_client.get(alice_asset.get_absolute_url()).content.decode()
    assert '<option value="3600"' in html and '<option value="86400"' not in html
    alice_client.post(f"/library/{alice_asset.public_id}/link/", {"seconds": "604800"})
    link = TemporaryLink.objects.get(asset=alice_asset)
    assert link.expires_at - link.created_at <= timedelta(seconds=3600)


def test_links_are_listed_and_revoked_one_by_one(alice_client, alice_asset, client):
    create = f"/library/{alice_asset.public_id}/link/"
    first = alice_client.post(create, {"seconds": "600"}, **HTMX)
    second = alice_client.post(create, {"seconds": "3600"}, **HTMX)
    url_one = re.search(r'value="(http[^"]+/s/t/[^"]+)"', first.content.decode()).group(1)
    url_two = re.search(r'value="(http[^"]+/s/t/[^"]+)"', second.content.decode()).group(1)
    assert 'hx-swap-oob="true"' in second.content.decode()

    page = alice_client.get(alice_asset.get_absolute_url()).content.decode()
    assert page.count("Revoke the link") == 2

    one = TemporaryLink.objects.order_by("created_at").first()
    revoke = f"/library/{alice_asset.public_id}/link/{one.public_id}/revoke/"
    response = alice_client.post(revoke, **HTMX)
    assert response.status_code == 200 and response.content.decode().count("Revoke the link") == 1

    assert client.get(url_one).status_code == 404
    assert client.get(url_two).status_code == 200
    assert alice_client.post(revoke).status_code == 404  # already revoked


def test_nobody_else_can_revoke_a_link(alice_asset, bob_client, client):
    url = temp_link_create(asset=alice_asset, seconds=600)
    link = TemporaryLink.objects.get(asset=alice_asset)
    revoke = f"/library/{alice_asset.public_id}/link/{link.public_id}/revoke/"
    assert bob_client.post(revoke).status_code == 404
    assert Client().post(revoke).status_code == 302  # to the login page
    assert client.get(url).status_code == 200


def test_a_link_made_before_the_trash_dies_with_the_asset(alice_asset, client):
    url = temp_link_create(asset=alice_asset, seconds=600)
    alice_asset.status = "trashed"
    alice_asset.trashed_at = timezone.now()
    alice_asset.save()
    assert client.get(url).status_code == 404
