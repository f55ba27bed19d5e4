import pytest

from assets.models import Asset, AssetTag, Collection
from assets.services import (
    asset_auto_tag,
    asset_create_output,
    asset_tag_remove,
    asset_update_analysis,
    assets_tag,
    collection_add_assets,
    collection_create,
    collection_remove_assets,
    collection_update,
)
from tests.assets.factories import CollectionFactory, png_file
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _tags(asset, source=None):
    qs = AssetTag.objects.filter(asset=asset)
    if source:
        qs = qs.filter(source=source)
    return set(qs.values_list("tag__name", flat=True))


def test_output_gets_automatic_tags_computed_locally(alice):
    asset = asset_create_output(
        owner=alice,
        fh=png_file((300, 120), color=(220, 30, 30)),
        content_type="image/png",
        extension="png",
        source_module="create",
        operation="create.generate",
        prompt="a red square",
    )
    auto = _tags(asset, "auto")
    assert {"image", "create", "landscape", "small", "red"} <= auto
    assert "transparent" not in auto
    assert asset.palette  # a quick palette was computed because none was given
    assert all(link.source == "auto" for link in AssetTag.objects.filter(asset=asset))


def test_transparent_upload_is_tagged_transparent(alice_client, alice):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    img = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    img.paste((10, 200, 10, 255), (20, 20, 60, 60))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    alice_client.post("/library/upload/", {"file": SimpleUploadedFile("cut.png", buf.getvalue())})
    asset = Asset.objects.get(owner=alice)
    assert {"transparent", "square", "upload", "green"} <= _tags(asset, "auto")


def test_non_image_outputs_are_tagged_by_kind_and_module(alice):
    import io

    asset = asset_create_output(
        owner=alice,
        fh=io.BytesIO(b"an enhanced prompt"),
        content_type="text/plain",
        extension="txt",
        source_module="create",
        operation="create.enhance",
    )
    assert _tags(asset, "auto") == {"text", "create"}


def test_removed_automatic_tags_stay_removed(alice):
    asset = AssetFactory(owner=alice, size=(200, 100))
    asset_auto_tag(asset=asset)
    assert "landscape" in _tags(asset)
    assert asset_tag_remove(asset=asset, name="landscape") is True
    asset.refresh_from_db()
    asset_auto_tag(asset=asset)
    assert "landscape" not in _tags(asset)
    # Adding it back by hand makes it a manual tag.
    assets_tag(owner=alice, asset_ids=[asset.pk], names=["landscape"])
    assert "landscape" in _tags(asset, "manual")


def test_palette_analysis_refreshes_colour_tags(alice):
    asset = AssetFactory(owner=alice)
    asset_update_analysis(asset=asset, palette=[{"hex": "#1040e0", "share": 0.9}])
    assert "blue" in _tags(asset, "auto")
    asset_update_analysis(asset=asset, palette=[{"hex": "#10c020", "share": 0.9}])
    assert "green" in _tags(asset, "auto") and "blue" not in _tags(asset)


def test_manual_tags_are_normalised_and_owner_scoped(alice, bob):
    mine = AssetFactory(owner=alice)
    theirs = AssetFactory(owner=bob)
    added = assets_tag(owner=alice, asset_ids=[mine.pk, theirs.pk], names=["  Sunset ", "#Beach"])
    assert added == 2
    assert _tags(mine, "manual") == {"sunset", "beach"}
    assert _tags(theirs) == set()


def test_tag_views_add_and_remove(alice_client, alice_asset):
    url = f"/library/{alice_asset.public_id}/tags/"
    response = alice_client.post(url, {"tags": "dog, park"}, **HTMX)
    assert response.status_code == 200 and 'id="asset-tags"' in response.content.decode()
    assert _tags(alice_asset) >= {"dog", "park"}
    alice_client.post(url + "remove/", {"name": "dog"})
    assert "dog" not in _tags(alice_asset)


def test_tag_views_are_owner_only(bob_client, client, alice_asset):
    url = f"/library/{alice_asset.public_id}/tags/"
    assert bob_client.post(url, {"tags": "x"}).status_code == 404
    assert bob_client.post(url + "remove/", {"name": "x"}).status_code == 404
    assert client.post(url, {"tags": "x"}).status_code == 302
    assert _tags(alice_asset) == set()


def test_collection_lifecycle(alice):
    a, b, c = (AssetFactory(owner=alice) for _ in range(3))
    collection = collection_create(owner=alice, name="Moodboard", description="Greens")
    assert collection_add_assets(collection=collection, asset_ids=[a.pk, b.pk, c.pk]) == 3
    assert collection_add_assets(collection=collection, asset_ids=[a.pk]) == 0
    assert collection.cover_id == a.pk
    collection_update(collection=collection, name="Mood", cover_id=b.pk)
    collection.refresh_from_db()
    assert (collection.name, collection.cover_id) == ("Mood", b.pk)
    collection_remove_assets(collection=collection, asset_ids=[b.pk, c.pk])
    collection.refresh_from_db()
    assert set(collection.assets.all()) == {a}
    assert collection.cover_id == a.pk
    # An asset can be in many collections.
    other = collection_create(owner=alice, name="Other")
    collection_add_assets(collection=other, asset_ids=[a.pk])
    assert set(a.collections.all()) == {collection, other}


def test_collections_never_take_other_users_assets(alice, bob):
    collection = CollectionFactory(owner=alice)
    theirs = AssetFactory(owner=bob)
    assert collection_add_assets(collection=collection, asset_ids=[theirs.pk]) == 0
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        collection_update(collection=collection, cover_id=theirs.pk)


def test_collection_views(alice_client, bob_client, client, alice):
    response = alice_client.post("/library/collections/", {"name": "Trips"})
    collection = Collection.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == collection.get_absolute_url()
    full = alice_client.get(collection.get_absolute_url())
    assert "Trips" in full.content.decode() and "<html" in full.content.decode()
    fragment = alice_client.get(collection.get_absolute_url(), **HTMX).content.decode()
    assert "<html" not in fragment and "This collection is empty" in fragment
    listing = alice_client.get("/library/collections/", **HTMX).content.decode()
    assert 'id="collection-list"' in listing and "<html" not in listing
    assert alice_client.post("/library/collections/", {"name": ""}, **HTMX).status_code == 422
    for url in (collection.get_absolute_url(),):
        assert bob_client.get(url).status_code == 404
        assert client.get(url).status_code == 302
    assert (
        bob_client.post(collection.get_absolute_url() + "edit/", {"name": "x"}).status_code == 404
    )
    assert bob_client.post(collection.get_absolute_url() + "delete/").status_code == 404
    alice_client.post(
        collection.get_absolute_url() + "edit/", {"name": "Trips 2025", "description": "d"}
    )
    collection.refresh_from_db()
    assert collection.name == "Trips 2025"
    alice_client.post(collection.get_absolute_url() + "delete/")
    assert not Collection.objects.exists()


def test_add_to_collection_from_the_detail_page(alice_client, alice_asset, bob):
    alice_client.post(f"/library/{alice_asset.public_id}/collections/", {"new_name": "Faves"})
    collection = Collection.objects.get(name="Faves")
    assert list(collection.assets.all()) == [alice_asset]
    bobs = CollectionFactory(owner=bob)
    response = alice_client.post(
        f"/library/{alice_asset.public_id}/collections/", {"collection": str(bobs.public_id)}
    )
    assert response.status_code == 404


def test_favourite_toggle_htmx_and_plain(alice_client, bob_client, client, alice_asset):
    url = f"/library/{alice_asset.public_id}/favourite/"
    response = alice_client.post(url, {"value": "1"}, **HTMX)
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert "<html" not in response.content.decode()
    alice_asset.refresh_from_db()
    assert alice_asset.is_favourite
    response = alice_client.post(url, {"value": "0", "next": "/library/?fav=on"})
    assert response.status_code == 302 and response["Location"] == "/library/?fav=on"
    alice_asset.refresh_from_db()
    assert not alice_asset.is_favourite
    assert bob_client.post(url).status_code == 404
    assert client.post(url).status_code == 302
    alice_asset.refresh_from_db()
    assert not alice_asset.is_favourite


def test_favourites_filter(alice_client, alice):
    fav = AssetFactory(owner=alice, is_favourite=True, title="Loved")
    AssetFactory(owner=alice, title="Meh")
    html = alice_client.get("/library/?fav=on", **HTMX).content.decode()
    assert fav.get_absolute_url() in html and "Meh" not in html


def test_bulk_actions_apply_to_the_selection_only(alice_client, alice, bob):
    a, b, c = (AssetFactory(owner=alice) for _ in range(3))
    theirs = AssetFactory(owner=bob)
    collection = CollectionFactory(owner=alice)
    ids = [str(a.public_id), str(b.public_id), str(theirs.public_id)]
    response = alice_client.post("/library/bulk/", {"action": "favourite", "ids": ids}, **HTMX)
    assert response.status_code == 200
    assert "library-changed" in response["HX-Trigger"]
    assert 'hx-swap-oob="beforeend"' in response.content.decode()
    assert set(Asset.objects.filter(is_favourite=True)) == {a, b}
    alice_client.post("/library/bulk/", {"action": "tag", "ids": ids, "tags": "batch"})
    assert _tags(a) == _tags(b) == {"batch"} and _tags(c) == _tags(theirs) == set()
    alice_client.post(
        "/library/bulk/",
        {"action": "add_to_collection", "ids": ids, "collection": str(collection.public_id)},
    )
    assert set(collection.assets.all()) == {a, b}
    response = alice_client.post(
        "/library/bulk/", {"action": "trash", "ids": ids, "next": "/library/"}
    )
    assert response.status_code == 302
    assert set(Asset.objects.filter(status="trashed")) == {a, b}
    alice_client.post("/library/bulk/", {"action": "restore", "ids": [str(a.public_id)]})
    a.refresh_from_db()
    assert a.status == "ready"


def test_bulk_with_nothing_selected_says_so(alice_client):
    response = alice_client.post("/library/bulk/", {"action": "favourite"}, **HTMX)
    assert response.status_code == 422
    assert "Select at least one" in response.content.decode()
