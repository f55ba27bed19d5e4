from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from assets.models import Asset, ShareLink, UsageEvent
from assets.services import (
    collection_add_assets,
    share_create,
    share_revoke,
    temp_link_create,
    temp_link_resolve,
)
from tests.assets.factories import CollectionFactory, generated_asset
from tests.conftest import HTMX
from tests.factories import AssetFactory
from tests.utils import open_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(alice, bob):
    collection = CollectionFactory(owner=alice, name="Moodboard")
    shown = generated_asset(alice, title="Shown", prompt="secret recipe words", seed=99)
    hidden = AssetFactory(owner=alice, title="Not on the board")
    trashed = AssetFactory(owner=alice, title="Binned", status="trashed", trashed_at=timezone.now())
    theirs = AssetFactory(owner=bob, title="Bob's picture")
    collection_add_assets(collection=collection, asset_ids=[shown.pk, trashed.pk])
    # Even a row pointing at someone else's asset must not leak onto the board.
    collection.items.create(asset=theirs)
    share = share_create(owner=alice, collection=collection)
    return {"share": share, "shown": shown, "hidden": hidden, "trashed": trashed, "theirs": theirs}


def test_share_board_shows_only_what_was_shared(client, board):
    response = client.get(board["share"].get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shown" in html and "Moodboard" in html
    for other in ("Not on the board", "Binned", "Bob's picture"):
        assert other not in html
    assert "secret recipe words" not in html  # details switched off
    assert "/library/" not in html  # no private URLs
    assert "private" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]


def test_share_token_is_unguessable(board):
    assert len(board["share"].token) >= 32


def test_share_item_and_rendition_work_while_valid(client, board):
    share, shown = board["share"], board["shown"]
    item = client.get(f"/s/{share.token}/a/{shown.public_id}/")
    assert item.status_code == 200
    rendition = client.get(f"/s/{share.token}/a/{shown.public_id}/r/grid/")
    assert rendition.status_code == 200
    for name in ("hidden", "trashed", "theirs"):
        asset = board[name]
        assert client.get(f"/s/{share.token}/a/{asset.public_id}/").status_code == 404
        assert client.get(f"/s/{share.token}/a/{asset.public_id}/r/grid/").status_code == 404


def test_details_switch_shows_the_recipe(client, alice, board):
    share = share_create(owner=alice, asset=board["shown"], show_details=True)
    html = client.get(f"/s/{share.token}/a/{board['shown'].public_id}/").content.decode()
    assert "secret recipe words" in html and "99" in html


def test_download_switch_off_serves_no_file(client, board):
    share, shown = board["share"], board["shown"]
    html = client.get(f"/s/{share.token}/a/{shown.public_id}/").content.decode()
    assert "download" not in html.lower()
    assert client.get(f"/s/{share.token}/a/{shown.public_id}/download/").status_code == 404


def test_download_switch_on_serves_the_file_and_counts(client, alice, board):
    shown = board["shown"]
    share = share_create(owner=alice, asset=shown, allow_download=True)
    html = client.get(share.get_absolute_url()).content.decode()
    url = f"/s/{share.token}/a/{shown.public_id}/download/"
    assert url in html
    response = client.get(url)
    assert response.status_code == 200
    # Details are hidden on this board, so the file comes as a copy without metadata.
    assert response["Content-Disposition"].startswith("attachment;")
    assert open_bytes(response.content).format == "PNG"
    share.refresh_from_db()
    assert share.download_count == 1 and share.view_count == 1
    kinds = set(UsageEvent.objects.filter(asset=shown).values_list("kind", flat=True))
    assert kinds == {"share_view", "share_download"}


def test_password_protected_board(alice, board):
    share = share_create(owner=alice, collection=board["share"].collection, password="open sesame")
    assert share.password.startswith("md5$")  # hashed with the configured hasher
    visitor = Client()
    locked = visitor.get(share.get_absolute_url())
    assert "Shown" not in locked.content.decode() and "password" in locked.content.decode()
    wrong = visitor.post(share.get_absolute_url(), {"password": "nope"})
    assert wrong.status_code == 403 and "Shown" not in wrong.content.decode()
    item_url = f"/s/{share.token}/a/{board['shown'].public_id}/"
    assert visitor.get(item_url).status_code == 404
    right = visitor.post(share.get_absolute_url(), {"password": "open sesame"})
    assert right.status_code == 302
    assert "Shown" in visitor.get(share.get_absolute_url()).content.decode()
    assert visitor.get(item_url).status_code == 200
    # Another visitor without the password still sees nothing.
    assert "Shown" not in Client().get(share.get_absolute_url()).content.decode()


def test_expired_and_revoked_links_show_nothing(client, alice, board):
    share = board["share"]
    item_url = f"/s/{share.token}/a/{board['shown'].public_id}/"
    expiring = share_create(
        owner=alice, collection=share.collection, expires_at=timezone.now() + timedelta(hours=1)
    )
    assert client.get(expiring.get_absolute_url()).status_code == 200
    ShareLink.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(expiring.get_absolute_url())
    assert response.status_code == 404 and "Shown" not in response.content.decode()
    assert client.get(f"/s/{expiring.token}/a/{board['shown'].public_id}/").status_code == 404
    share_revoke(share=share)
    response = client.get(share.get_absolute_url())
    assert response.status_code == 404 and "Shown" not in response.content.decode()
    assert client.get(item_url).status_code == 404
    assert client.get("/s/made-up-token/").status_code == 404


def test_share_create_refuses_other_users_things_and_past_expiry(alice, bob, board):
    with pytest.raises(ValidationError):
        share_create(owner=alice, asset=board["theirs"])
    with pytest.raises(ValidationError):
        share_create(
            owner=alice, asset=board["shown"], expires_at=timezone.now() - timedelta(days=1)
        )


def test_owner_share_views(alice_client, bob_client, client, alice, board):
    collection = board["share"].collection
    response = alice_client.post(
        "/library/shares/new/",
        {"collection": str(collection.public_id), "expires_in_days": "7", "allow_download": "on"},
    )
    assert response.status_code == 302
    share = ShareLink.objects.filter(owner=alice).first()
    assert share.allow_download and share.expires_at > timezone.now() + timedelta(days=6)
    listing = alice_client.get("/library/shares/").content.decode()
    assert share.token in listing and "Views" in listing
    assert share.token not in bob_client.get("/library/shares/").content.decode()
    assert (
        bob_client.post(
            "/library/shares/new/", {"collection": str(collection.public_id)}
        ).status_code
        == 404
    )
    assert bob_client.post(f"/library/shares/{share.public_id}/revoke/").status_code == 404
    assert client.post(f"/library/shares/{share.public_id}/revoke/").status_code == 302
    row = alice_client.post(f"/library/shares/{share.public_id}/revoke/", **HTMX)
    assert row.status_code == 200 and "Revoked" in row.content.decode()
    assert "<html" not in row.content.decode()
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_share_one_asset_from_the_detail_page(alice_client, alice, alice_asset):
    alice_client.post(
        "/library/shares/new/", {"asset": str(alice_asset.public_id), "show_details": "on"}
    )
    share = ShareLink.objects.get(owner=alice)
    assert share.asset == alice_asset and share.show_details


def test_temporary_link_works_until_it_expires(client, alice_asset):
    url = temp_link_create(asset=alice_asset, seconds=600)
    assert url.startswith("/s/t/")
    response = client.get(url)
    assert response.status_code == 200
    assert open_bytes(b"".join(response.streaming_content)).size == (120, 80)
    later = timezone.now() + timedelta(seconds=601)
    with mock.patch("assets.services.timezone.now", return_value=later):
        assert temp_link_resolve(value=url.split("/")[3]) is None
    assert client.get(url[:-3] + "xx/").status_code == 404


def test_temporary_link_view(alice_client, bob_client, alice_asset):
    url = f"/library/{alice_asset.public_id}/link/"
    response = alice_client.post(url, {"seconds": "3600"}, **HTMX)
    assert response.status_code == 200 and "/s/t/" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "<html" in alice_client.post(url, {"seconds": "3600"}).content.decode()
    assert bob_client.post(url, {"seconds": "3600"}).status_code == 404


def test_temporary_link_on_s3_redirects_to_a_presigned_url(client, alice_asset):
    """On a bucket the link still goes through the app (so it can be revoked) and answers
    with a short-lived presigned URL."""
    url = temp_link_create(asset=alice_asset, seconds=900)
    assert url.startswith("/s/t/")
    storage = mock.Mock(bucket_name="media")
    storage.url.return_value = "https://bucket.example/presigned"
    with mock.patch.object(Asset._meta.get_field("file"), "storage", storage):
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "https://bucket.example/presigned"
    storage.url.assert_called_once_with(alice_asset.file.name)
