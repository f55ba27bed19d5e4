from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from assets.models import Asset, AssetTag, Rendition
from assets.services import (
    assets_restore,
    assets_tag,
    assets_trash,
    collection_add_assets,
    rendition_get_or_create,
    share_create,
    trash_empty,
    trash_purge_expired,
)
from assets.tasks import trash_purge_task
from tests.assets.conftest import stored_files
from tests.assets.factories import CollectionFactory
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _files_of(asset):
    names = {asset.file.name, asset.thumbnail.name}
    names |= set(Rendition.objects.filter(asset=asset).values_list("file", flat=True))
    return names


def test_trash_then_restore_returns_everything(alice):
    parent = AssetFactory(owner=alice)
    asset = AssetFactory(owner=alice, parent=parent)
    child = AssetFactory(owner=alice, parent=asset)
    collection = CollectionFactory(owner=alice)
    collection_add_assets(collection=collection, asset_ids=[asset.pk])
    assets_tag(owner=alice, asset_ids=[asset.pk], names=["keep me"])

    assert assets_trash(owner=alice, asset_ids=[asset.pk]) == 1
    asset.refresh_from_db()
    assert asset.status == "trashed" and asset.trashed_at
    assert asset not in Asset.objects.filter(owner=alice, status="ready")

    assert assets_restore(owner=alice, asset_ids=[asset.pk]) == 1
    asset.refresh_from_db()
    assert asset.status == "ready" and asset.trashed_at is None
    assert set(AssetTag.objects.filter(asset=asset).values_list("tag__name", flat=True)) == {
        "keep me"
    }
    assert list(collection.assets.all()) == [asset]
    assert asset.parent == parent and list(asset.children.all()) == [child]
    assert asset.root_id == parent.pk and child.root_id == parent.pk


def test_trash_and_restore_are_owner_scoped(alice, bob):
    theirs = AssetFactory(owner=bob)
    assert assets_trash(owner=alice, asset_ids=[theirs.pk]) == 0
    theirs.refresh_from_db()
    assert theirs.status == "ready"


def test_emptying_the_trash_deletes_the_files_after_commit(
    alice, eager_tasks, django_capture_on_commit_callbacks
):
    gone = AssetFactory(owner=alice)
    kept = AssetFactory(owner=alice)
    rendition_get_or_create(asset_id=gone.pk, spec="grid")
    gone_files = _files_of(gone)
    assert len(gone_files) == 3 and gone_files <= stored_files()
    assets_trash(owner=alice, asset_ids=[gone.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert trash_empty(owner=alice) == 1
    assert gone_files <= stored_files()  # nothing deleted before the commit
    for callback in callbacks:
        callback()
    assert not (gone_files & stored_files())
    assert _files_of(kept) <= stored_files()
    assert not Asset.objects.filter(pk=gone.pk).exists()


def test_retention_purges_only_expired_trash(
    alice, bob, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.TRASH_RETENTION_DAYS = 30
    old = AssetFactory(
        owner=alice, status="trashed", trashed_at=timezone.now() - timedelta(days=31)
    )
    theirs_old = AssetFactory(
        owner=bob, status="trashed", trashed_at=timezone.now() - timedelta(days=40)
    )
    recent = AssetFactory(
        owner=alice, status="trashed", trashed_at=timezone.now() - timedelta(days=29)
    )
    live = AssetFactory(owner=alice)
    old_files = _files_of(old) | _files_of(theirs_old)
    with django_capture_on_commit_callbacks(execute=True):
        assert trash_purge_task.delay().get() == 2
    assert set(Asset.objects.all()) == {recent, live}
    assert not (old_files & stored_files())
    assert _files_of(recent) <= stored_files()


def test_purge_works_in_batches(alice, eager_tasks, django_capture_on_commit_callbacks):
    for _ in range(5):
        AssetFactory(owner=alice, status="trashed", trashed_at=timezone.now() - timedelta(days=90))
    with django_capture_on_commit_callbacks(execute=True):
        assert trash_purge_expired(batch_size=2) == 5
    assert not Asset.objects.exists()
    assert not {n for n in stored_files() if n.startswith(("assets/", "thumbs/"))}


def test_trash_views(alice_client, bob_client, client, alice_asset):
    url = f"/library/{alice_asset.public_id}/trash/"
    assert bob_client.post(url).status_code == 404
    assert client.post(url).status_code == 302
    alice_asset.refresh_from_db()
    assert alice_asset.status == "ready"
    response = alice_client.post(url, **HTMX)
    assert response["HX-Redirect"] == "/library/"
    alice_asset.refresh_from_db()
    assert alice_asset.status == "trashed"
    # Still reachable for its owner (to restore it), not for others.
    assert "in the trash" in alice_client.get(alice_asset.get_absolute_url()).content.decode()
    assert bob_client.get(alice_asset.get_absolute_url()).status_code == 404
    assert bob_client.post(f"/library/{alice_asset.public_id}/restore/").status_code == 404
    alice_client.post(f"/library/{alice_asset.public_id}/restore/")
    alice_asset.refresh_from_db()
    assert alice_asset.status == "ready"


def test_empty_trash_view_only_touches_my_trash(alice_client, alice, bob, eager_tasks):
    mine = AssetFactory(owner=alice, status="trashed", trashed_at=timezone.now())
    theirs = AssetFactory(owner=bob, status="trashed", trashed_at=timezone.now())
    response = alice_client.post("/library/trash/empty/", **HTMX)
    assert response.status_code == 200 and "Deleted 1 item" in response.content.decode()
    assert not Asset.objects.filter(pk=mine.pk).exists()
    assert Asset.objects.filter(pk=theirs.pk).exists()
    assert default_storage.exists(theirs.file.name)


def test_trashing_a_shared_asset_warns_first(alice_client, alice, alice_asset):
    collection = CollectionFactory(owner=alice)
    collection_add_assets(collection=collection, asset_ids=[alice_asset.pk])
    share_create(owner=alice, collection=collection)
    detail = alice_client.get(alice_asset.get_absolute_url()).content.decode()
    assert "live share link" in detail
    response = alice_client.post(
        "/library/bulk/", {"action": "trash", "ids": [str(alice_asset.public_id)]}, **HTMX
    )
    assert response.status_code == 422 and "share board" in response.content.decode()
    alice_asset.refresh_from_db()
    assert alice_asset.status == "ready"
    alice_client.post(
        "/library/bulk/", {"action": "trash", "ids": [str(alice_asset.public_id)], "confirm": "1"}
    )
    alice_asset.refresh_from_db()
    assert alice_asset.status == "trashed"
