"""The library's cached sidebar, count and image-page fragments are never stale after a
write made through the services, and the cached grid reads the same pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets import services
from assets.library_cache import LibraryState, library_changed, library_grid_page
from assets.models import Asset, AssetTag, Collection, CollectionItem, Tag, TemporaryLink
from assets.selectors import (
    LibraryFilters,
    collection_list,
    library_count,
    library_page,
    library_queryset,
    tag_list,
)
from tests.assets.factories import CollectionFactory, bulk_assets, png_file
from tests.factories import AssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def _shown(html: str) -> dict:
    """What a library page shows beside the grid: its count, and the sidebar's tags and
    collections with their numbers."""
    side = html[html.index('<aside class="library-side"') : html.index("</aside>")]
    count = re.search(r'grid-count">([\d,]+)\+? item', html)
    return {
        "count": int(count.group(1).replace(",", "")) if count else None,
        "tags": dict(
            (name, int(n))
            for name, n in re.findall(
                r'class="tag[^"]*" href="[^"]*">([^<]+) <span class="muted">(\d+)<', side
            )
        ),
        "collections": dict(
            (name, int(n))
            for name, n in re.findall(
                r'<li><a href="/library/collections/[^"]+" ?>([^<]+)</a> <span class="muted">(-?\d+)<',
                side,
            )
        ),
    }


def _truth(owner, *, trashed: bool = False) -> dict:
    """The same, straight from the selectors (no cache)."""
    qs = library_queryset(owner=owner, filters=LibraryFilters(trashed=trashed))
    return {
        "count": library_count(qs, filters=LibraryFilters(trashed=trashed)),
        "tags": {t.name: t.n for t in tag_list(owner=owner)},
        "collections": {c.name: c.n for c in collection_list(owner=owner, covers=False)},
    }


@pytest.fixture
def library(alice):
    """Alice's library: 60 items (more than a page, so the page shows a count), the tag
    "sky" on three, the collection "Trips" holding two, and two items in the trash."""
    items = bulk_assets(alice, per_second=2, sizes=9, n=60)
    sky = Tag.objects.create(owner=alice, name="sky")
    AssetTag.objects.bulk_create([AssetTag(asset=a, tag=sky) for a in items[:3]])
    trips = CollectionFactory(owner=alice, name="Trips")
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=trips, asset=a) for a in items[:2]]
    )
    Asset.objects.filter(pk__in=[a.pk for a in items[-2:]]).update(
        status=Asset.Status.TRASHED, trashed_at=timezone.now()
    )
    return {"items": items, "trips": trips, "trashed": items[-2:]}


def test_the_sidebar_and_count_come_from_the_cache_until_a_service_writes(
    alice_client, alice, library
):
    with CaptureQueriesContext(connection) as cold:
        first = alice_client.get("/library/").content.decode()
    with CaptureQueriesContext(connection) as warm:
        again = alice_client.get("/library/").content.decode()
    assert _shown(first) == _shown(again) == _truth(alice)
    assert _shown(first)["count"] == 58 and _shown(first)["tags"] == {"sky": 3}
    # The count, the collections, the tags and their trashed links are not read again.
    assert len(warm.captured_queries) <= len(cold.captured_queries) - 4
    # A write around the services is not seen (the cache is really used)…
    Collection.objects.filter(pk=library["trips"].pk).update(name="Renamed quietly")
    assert "Renamed quietly" not in alice_client.get("/library/").content.decode()
    # …and any write through them shows at once.
    services.collection_create(owner=alice, name="Beach")
    shown = _shown(alice_client.get("/library/").content.decode())
    assert shown == _truth(alice)
    assert shown["collections"] == {"Beach": 0, "Renamed quietly": 2}


def _upload(alice, library):
    services.asset_create_from_upload(owner=alice, uploaded=png_file((80, 80)), filename="new.png")


def _job_outputs(alice, library):
    import uuid

    job = uuid.uuid4()
    for _ in range(2):  # the second is stacked under the first: one more item, not two
        services.asset_create_output(
            owner=alice,
            fh=png_file((90, 40), color=(10, 10, 200)),
            content_type="image/png",
            extension="png",
            source_module="create",
            operation="create.generate",
            source_job_id=job,
        )


def _trash(alice, library):
    services.assets_trash(owner=alice, asset_ids=[a.pk for a in library["items"][:2]])


def _restore(alice, library):
    services.assets_restore(owner=alice, asset_ids=[a.pk for a in library["trashed"]])


def _tag(alice, library):
    services.assets_tag(owner=alice, asset_ids=[a.pk for a in library["items"][:5]], names=["sea"])


def _untag(alice, library):
    services.asset_tag_remove(asset=library["items"][0], name="sky")


def _collection_create(alice, library):
    services.collection_create(owner=alice, name="Beach")


def _collection_rename(alice, library):
    services.collection_update(collection=library["trips"], name="Holidays")


def _collection_delete(alice, library):
    services.collection_delete(collection=library["trips"])


def _collection_add(alice, library):
    services.collection_add_assets(
        collection=library["trips"], asset_ids=[a.pk for a in library["items"][2:6]]
    )


def _collection_remove(alice, library):
    services.collection_remove_assets(
        collection=library["trips"], asset_ids=[library["items"][0].pk]
    )


def _analysis(alice, library):
    # A palette re-tags the image by its colours.
    red = [{"hex": "#dd2222", "rgb": [221, 34, 34], "share": 1.0}]
    services.asset_update_analysis(asset=library["items"][0], palette=red)


@pytest.mark.parametrize(
    "write",
    [
        _upload,
        _job_outputs,
        _trash,
        _restore,
        _tag,
        _untag,
        _collection_create,
        _collection_rename,
        _collection_delete,
        _collection_add,
        _collection_remove,
        _analysis,
    ],
)
def test_the_library_page_shows_each_kind_of_write_at_once(alice_client, alice, library, write):
    before = _shown(alice_client.get("/library/").content.decode())
    assert before == _truth(alice)
    write(alice, library)
    after = _shown(alice_client.get("/library/").content.decode())
    assert after == _truth(alice)
    assert after != before  # the write changed what the page shows


def test_the_trash_count_follows_emptying_it(alice_client, alice, library):
    trashed = bulk_assets(alice, per_second=2, sizes=9, n=50)[:50]
    services.assets_trash(owner=alice, asset_ids=[a.pk for a in trashed])
    assert _shown(alice_client.get("/library/trash/").content.decode())["count"] == 52
    services.trash_empty(owner=alice, asset_ids=[trashed[0].pk])
    assert _shown(alice_client.get("/library/trash/").content.decode())["count"] == 51


def test_tiles_follow_favourites_and_renames(alice_client, alice, library):
    asset = library["items"][0]
    html = alice_client.get("/library/").content.decode()
    assert f'data-asset="{asset.public_id}"' in html and "Item 59" in html
    services.assets_favourite_set(owner=alice, asset_ids=[asset.pk], value=True)
    services.asset_rename(asset=Asset.objects.get(pk=asset.pk), title="Renamed")
    html = alice_client.get("/library/").content.decode()
    card = html[html.index(f'data-asset="{asset.public_id}"') - 60 :]
    assert (
        card.startswith('<article class="asset-card is-favourite"') or "is-favourite" in card[:80]
    )
    assert "Renamed" in card[:2000] and "Item 59" not in html


# --------------------------------------------------------------------------- image page


def _child(parent, title):
    return services.asset_create_output(
        owner=parent.owner,
        fh=png_file((40, 40)),
        content_type="image/png",
        extension="png",
        source_module="edit",
        operation="edit.inpaint",
        parent=parent,
        title=title,
    )


def test_the_image_page_fragments_follow_every_write(alice_client, alice):
    asset = AssetFactory(owner=alice, title="Harbour")
    url = asset.get_absolute_url()
    with CaptureQueriesContext(connection) as cold:
        alice_client.get(url)
    with CaptureQueriesContext(connection) as warm:
        html = alice_client.get(url).content.decode()
    # Versions, tags, collections, palettes and children are not read again.
    assert len(warm.captured_queries) <= len(cold.captured_queries) - 5
    assert "This is the only version" in html and "No tags yet." in html

    services.assets_tag(owner=alice, asset_ids=[asset.pk], names=["lighthouse"])
    assert "Remove tag lighthouse" in alice_client.get(url).content.decode()
    services.asset_tag_remove(asset=asset, name="lighthouse")
    assert "Remove tag lighthouse" not in alice_client.get(url).content.decode()

    trips = services.collection_create(owner=alice, name="Trips")
    services.collection_add_assets(collection=trips, asset_ids=[asset.pk])
    assert 'aria-label="Remove from Trips"' in alice_client.get(url).content.decode()
    services.collection_update(collection=trips, name="Holidays")
    assert 'aria-label="Remove from Holidays"' in alice_client.get(url).content.decode()
    services.collection_remove_assets(collection=trips, asset_ids=[asset.pk])
    assert "Not in any collection." in alice_client.get(url).content.decode()

    palette = services.asset_palette_add(
        asset=asset, colours=[{"hex": "#112233", "rgb": [17, 34, 51], "share": 1.0}]
    )
    assert palette.name in alice_client.get(url).content.decode()
    palette.asset = asset
    services.asset_palette_rename(palette=palette, name="Night sea")
    assert "Night sea" in alice_client.get(url).content.decode()

    child = _child(asset, "Harbour at dusk")
    html = alice_client.get(url).content.decode()
    assert "Harbour at dusk" in html and "Made from this image" in html
    services.asset_rename(asset=child, title="Harbour by night")
    html = alice_client.get(url).content.decode()
    assert "Harbour by night" in html and "Harbour at dusk" not in html
    services.assets_trash(owner=alice, asset_ids=[child.pk])
    assert "Harbour by night" not in alice_client.get(url).content.decode()
    # The child's own page: the trail names its parent, renamed or not.
    services.assets_restore(owner=alice, asset_ids=[child.pk])
    services.asset_rename(asset=Asset.objects.get(pk=asset.pk), title="Old harbour")
    assert "Old harbour" in alice_client.get(child.get_absolute_url()).content.decode()


def _post_from_two_browsers(owner, page_url: str, action: str, data: dict) -> None:
    """Two browsers of ``owner`` open ``page_url`` (the first renders its cached fragment,
    the second reads it), then each posts the form for ``action`` with the CSRF token its
    own page carries: both posts must be accepted."""
    pages = []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(owner)
        pages.append((browser, browser.get(page_url).content.decode()))
    for browser, html in reversed(pages):  # a post is a write: the second browser's first
        form = html[html.index(f'action="{action}"') :]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        response = browser.post(action, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code == 302


def test_a_cached_fragment_carries_each_browsers_own_csrf_token(alice):
    asset = AssetFactory(owner=alice)
    _post_from_two_browsers(
        alice, asset.get_absolute_url(), f"/library/{asset.public_id}/tags/", {"tags": "pier"}
    )


# --------------------------------------------------------------------------- the version


def test_the_version_is_replaced_again_after_the_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            library_changed(alice.pk)
            during = LibraryState(alice).version
    # A reader that took ``during`` before the commit may have cached what it saw then.
    assert len(callbacks) == 1
    callbacks[0]()
    assert LibraryState(alice).version != during


def test_an_evicted_version_never_comes_back(alice):
    state = LibraryState(alice)
    cache.delete(f"library:1:version:{alice.pk}")
    assert LibraryState(alice).version != state.version


def test_an_account_that_gets_a_used_id_does_not_see_its_values(alice):
    before = LibraryState(alice).key("sidebar")
    alice.date_joined -= timedelta(days=1)  # another account with the same id
    assert LibraryState(alice).key("sidebar") != before


def test_users_never_share_cached_values(alice_client, alice, library):
    bob = UserFactory(username="bob")
    CollectionFactory(owner=bob, name="Bob's things")
    alice_client.get("/library/")
    bob_client = Client()
    bob_client.force_login(bob)
    html = bob_client.get("/library/").content.decode()
    assert "Bob&#x27;s things" in html and "Trips" not in html


# --------------------------------------------------------------------------- grid rows


@pytest.mark.parametrize("sort", ["newest", "oldest", "size", "cost", "used", "bogus"])
def test_the_grid_page_is_the_library_page_forwards_and_back(alice, sort):
    bulk_assets(alice, per_second=2, sizes=9, n=130)
    qs = library_queryset(owner=alice, filters=LibraryFilters())
    pages, after = [], ""
    while True:
        grid = library_grid_page(qs, sort=sort, after=after, size=20)
        cards = library_page(qs, sort=sort, after=after, size=20)
        assert [r.pk for r in grid.items] == [a.pk for a in cards.items]
        assert (grid.next_cursor, grid.prev_cursor, grid.sort) == (
            cards.next_cursor,
            cards.prev_cursor,
            cards.sort,
        )
        pages.append(grid)
        if not grid.next_cursor:
            break
        after = grid.next_cursor
    assert len(pages) == 7
    back = library_grid_page(qs, sort=sort, before=pages[-1].prev_cursor, size=20)
    cards = library_page(qs, sort=sort, before=pages[-1].prev_cursor, size=20)
    assert (
        [r.pk for r in back.items] == [a.pk for a in cards.items] == [r.pk for r in pages[-2].items]
    )
    assert (back.next_cursor, back.prev_cursor) == (cards.next_cursor, cards.prev_cursor)


def test_grid_tiles_are_the_same_cached_or_not(alice_client, alice, library):
    from assets.templatetags.asset_tiles import local_tiles

    cache.clear()
    local_tiles.clear()

    def grid():
        html = alice_client.get("/library/", HTTP_HX_REQUEST="true").content.decode()
        return re.sub(r'csrfmiddlewaretoken" value="[^"]+', "TOKEN", html)

    cold = grid()
    with CaptureQueriesContext(connection) as warm_queries:
        warm = grid()
    assert cold == warm
    assert cold.count('class="asset-card') == 48
    # Warm, no card is loaded: the page's keys, and nothing per tile.
    assert not any("assets_asset" in q["sql"] and '"title"' in q["sql"] for q in warm_queries)


def test_share_and_temporary_links_follow_writes_and_their_expiry(alice_client, alice):
    from unittest import mock

    asset = AssetFactory(owner=alice, title="Pier")
    url = asset.get_absolute_url()
    html = alice_client.get(url).content.decode()
    assert "live share link" not in html and "Links that work now" not in html

    soon = timezone.now() + timedelta(hours=1)
    share = services.share_create(owner=alice, asset=asset, title="For Bob", expires_at=soon)
    services.temp_link_create(asset=asset, seconds=600)
    html = alice_client.get(url).content.decode()
    assert "On 1 live share link" in html and f'href="/s/{share.token}/">For Bob</a>' in html
    assert "Links that work now" in html

    # Both run out with time alone, no write in between.
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        html = alice_client.get(url).content.decode()
    assert "live share link" not in html and "Links that work now" not in html

    # Revoked, a link is gone at once (the first one still works for a few minutes).
    for link in TemporaryLink.objects.filter(asset=asset):
        assert "Links that work now" in alice_client.get(url).content.decode()
        services.temp_link_revoke(asset=asset, link_id=link.public_id)
    assert "Links that work now" not in alice_client.get(url).content.decode()

    forever = services.share_create(owner=alice, asset=asset, title="Always")
    assert "On 2 live share links" in alice_client.get(url).content.decode()
    services.share_revoke(share=forever)
    services.share_revoke(share=share)
    assert "live share link" not in alice_client.get(url).content.decode()


def test_a_share_reaching_the_image_through_a_collection_follows_the_collection(
    alice_client, alice
):
    asset = AssetFactory(owner=alice)
    trips = services.collection_create(owner=alice, name="Trips")
    services.share_create(owner=alice, collection=trips)
    url = asset.get_absolute_url()
    assert "live share link" not in alice_client.get(url).content.decode()
    services.collection_add_assets(collection=trips, asset_ids=[asset.pk])
    assert "On 1 live share link" in alice_client.get(url).content.decode()
    services.collection_delete(collection=trips)
    assert "live share link" not in alice_client.get(url).content.decode()


def test_the_library_controls_follow_the_url_and_the_collections(alice_client, alice, library):
    html = alice_client.get("/library/?q=harbour&sort=oldest").content.decode()
    assert 'name="q" id="id_q" value="harbour"' in html
    assert '<option value="oldest" selected>' in html
    html = alice_client.get("/library/?q=lighthouse").content.decode()
    assert 'value="lighthouse"' in html and 'value="harbour"' not in html
    assert '<option value="oldest" selected>' not in html

    def bulk_collections(path="/library/"):
        html = alice_client.get(path).content.decode()
        select = html[html.index('<select id="bulk-collection"') :]
        return re.findall(
            r'<option value="[^"]+" ?(?:selected)?>([^<]+)</option>',
            select[: select.index("</select>")],
        )

    assert bulk_collections() == ["Trips"]
    beach = services.collection_create(owner=alice, name="Beach")
    assert bulk_collections() == ["Beach", "Trips"]
    # A collection's own page: its settings form shows what the collection is now.
    path = beach.get_absolute_url()
    assert 'value="Beach"' in alice_client.get(path).content.decode()
    services.collection_update(collection=beach, name="Seaside", description="Waves")
    html = alice_client.get(path).content.decode()
    assert 'value="Seaside"' in html and "Waves</textarea>" in html
    assert bulk_collections(path) == ["Seaside", "Trips"]


def test_tiles_in_a_cached_fragment_carry_each_browsers_own_csrf_token(alice):
    parent = AssetFactory(owner=alice)
    child = _child(parent, "Made from it")
    _post_from_two_browsers(
        alice, parent.get_absolute_url(), f"/library/{child.public_id}/favourite/", {"value": "1"}
    )


def test_a_process_keeps_a_value_no_longer_than_the_shared_cache(alice):
    from unittest import mock

    from assets import library_cache

    state = LibraryState(alice)
    key = state.key("probe")
    made = []
    assert state.cached(key, lambda: made.append(1) or 1) == 1
    assert state.cached(key, lambda: made.append(2) or 2) == 1  # this process's copy
    cache.delete(key)  # as the shared cache does after DATA_TTL
    later = library_cache.time.monotonic() + library_cache.DATA_TTL + 1
    with mock.patch.object(library_cache.time, "monotonic", return_value=later):
        assert state.cached(key, lambda: made.append(3) or 3) == 3
    assert made == [1, 3]


def test_links_revoked_by_staff_leave_the_owners_image_page_at_once(alice_client, alice):
    from django.contrib.admin.sites import site

    from assets.admin import ShareLinkAdmin, TemporaryLinkAdmin
    from assets.models import ShareLink

    asset = AssetFactory(owner=alice, title="Pier")
    url = asset.get_absolute_url()
    services.share_create(owner=alice, asset=asset, title="For Bob")
    services.temp_link_create(asset=asset, seconds=600)
    html = alice_client.get(url).content.decode()
    assert "On 1 live share link" in html and "Links that work now" in html

    staff = UserFactory(is_staff=True, is_superuser=True)
    request = type("Request", (), {"user": staff, "_messages": None})()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ShareLinkAdmin, "message_user", lambda *a, **k: None)
        patch.setattr(TemporaryLinkAdmin, "message_user", lambda *a, **k: None)
        ShareLinkAdmin(ShareLink, site).revoke(request, ShareLink.objects.all())
        TemporaryLinkAdmin(TemporaryLink, site).revoke(request, TemporaryLink.objects.all())
    html = alice_client.get(url).content.decode()
    assert "live share link" not in html and "Links that work now" not in html


def test_outputs_a_job_discards_leave_the_library_count(alice_client, alice, library):
    from studio.jobs.services import discard_assets

    assert _shown(alice_client.get("/library/").content.decode()) == _truth(alice)
    extra = [AssetFactory(owner=alice) for _ in range(2)]
    library_changed(alice.pk)  # as asset_create_output does for a job's outputs
    assert _shown(alice_client.get("/library/").content.decode())["count"] == 60
    discard_assets(extra)  # the job was canceled meanwhile: its outputs go
    shown = _shown(alice_client.get("/library/").content.decode())
    assert shown == _truth(alice) and shown["count"] == 58
