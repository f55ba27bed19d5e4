import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Asset, AssetTag, Collection, CollectionItem, Tag
from assets.selectors import LibraryFilters, library_page, library_queryset
from assets.services import asset_search_reindex
from tests.assets.factories import CollectionFactory, bulk_assets, text_asset
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _walk(owner, sort, **filters):
    """Every page of the library in ``sort`` order, following the next cursors."""
    qs = library_queryset(owner=owner, filters=LibraryFilters(sort=sort, **filters))
    seen, after = [], ""
    while True:
        page = library_page(qs, sort=sort, after=after, size=7)
        seen += page.items
        if not page.next_cursor:
            return seen
        after = page.next_cursor


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("newest", lambda a: (-a.created_at.timestamp(), -a.pk)),
        ("oldest", lambda a: (a.created_at.timestamp(), a.pk)),
        ("size", lambda a: (-a.file_size, -a.pk)),
        ("cost", lambda a: (-a.cost_credits, -a.pk)),
        ("used", lambda a: (-a.usage_count, -a.pk)),
    ],
)
def test_keyset_pages_cover_every_item_once_in_order(alice, sort, key):
    everything = bulk_assets(alice, 30)
    walked = _walk(alice, sort)
    assert walked == sorted(everything, key=key)


def test_previous_cursor_returns_the_page_before(alice):
    bulk_assets(alice, 20)
    qs = library_queryset(owner=alice, filters=LibraryFilters())
    first = library_page(qs, size=6)
    second = library_page(qs, after=first.next_cursor, size=6)
    back = library_page(qs, before=second.prev_cursor, size=6)
    assert back.items == first.items
    assert first.prev_cursor is None and second.prev_cursor


def test_a_bad_cursor_falls_back_to_the_first_page(alice):
    bulk_assets(alice, 5)
    qs = library_queryset(owner=alice, filters=LibraryFilters())
    assert len(library_page(qs, after="not-a-cursor!").items) == 5


def _grid_queries(client, url, *, warm=True):
    """Queries of one visit to ``url``; with ``warm``, of a second visit, once what the
    first caches (the page's tiles, the library's count) is there."""
    if warm:
        client.get(url, **HTMX)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **HTMX)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("view", ["grid", "list"])
def test_grid_query_count_is_constant(alice_client, alice, bob, view):
    items = bulk_assets(alice, 120)
    bulk_assets(bob, 10)
    # The first visit counts the library (cached per library version) and, in the grid,
    # loads the cards of the tiles it renders (cached per asset version).
    counting = _grid_queries(alice_client, f"/library/?view={view}", warm=False)
    first = _grid_queries(alice_client, f"/library/?view={view}", warm=False)
    assert counting == first + (1 if view == "list" else 2)
    # Go deep: the third page, by following the pager.
    qs = library_queryset(owner=alice, filters=LibraryFilters())
    page = library_page(qs)
    page = library_page(qs, after=page.next_cursor)
    deep = _grid_queries(alice_client, f"/library/?view={view}&after={page.next_cursor}")
    # Many tags and collections on every item must not add queries either.
    tags = [Tag.objects.create(owner=alice, name=f"t{i}") for i in range(6)]
    AssetTag.objects.bulk_create([AssetTag(asset=a, tag=t) for a in items for t in tags])
    asset_search_reindex(asset_ids=[a.pk for a in items])  # as the tagging services do
    collections = [Collection.objects.create(owner=alice, name=f"c{i}") for i in range(6)]
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=c, asset=a) for a in items for c in collections]
    )
    tagged = _grid_queries(alice_client, f"/library/?view={view}&after={page.next_cursor}")
    assert first == deep == tagged
    assert first <= 6
    # Filtering by collection adds its (owner-scoped) lookup (a filtered grid has no
    # count: it says "more than a page"), and nothing per row or page.
    filtered_url = f"/library/?view={view}&tag=t1&collection={collections[0].public_id}"
    qs = library_queryset(owner=alice, filters=LibraryFilters(tag="t1", collection=collections[0]))
    next_cursor = library_page(qs).next_cursor
    filtered = _grid_queries(alice_client, filtered_url)
    filtered_deep = _grid_queries(alice_client, f"{filtered_url}&after={next_cursor}")
    # On PostgreSQL the planner is asked how many matches the tag has (a search with
    # many reads its newest months first; tests/assets/test_search_months.py).
    planned = 1 if connection.vendor == "postgresql" else 0
    assert filtered == filtered_deep == first + 1 + planned
    assert "More than 48 items" in alice_client.get(filtered_url, **HTMX).content.decode()


def test_full_page_and_htmx_fragment(alice_client, alice):
    AssetFactory(owner=alice, title="Sunrise")
    full = alice_client.get("/library/")
    fragment = alice_client.get("/library/", **HTMX)
    assert "<html" in full.content.decode() and 'id="library-filters"' in full.content.decode()
    body = fragment.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="library-grid"')
    assert "Sunrise" in body
    assert "HX-Request" in fragment["Vary"]


def test_history_restore_gets_the_full_page(alice_client):
    response = alice_client.get(
        "/library/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_the_grid_never_links_an_original(alice_client, alice):
    asset = AssetFactory(owner=alice)
    html = alice_client.get("/library/").content.decode()
    assert asset.rendition_url("grid") in html
    assert asset.file_url() not in html
    list_html = alice_client.get("/library/?view=list").content.decode()
    assert asset.file_url() not in list_html


def test_filter_state_lives_in_the_url_and_the_pager(alice_client, alice):
    bulk_assets(alice, 60)
    html = alice_client.get("/library/?kind=image&sort=oldest").content.decode()
    assert 'value="oldest" selected' in html
    assert "kind=image&amp;sort=oldest&amp;after=" in html


def test_invalid_filters_are_ignored_not_errors(alice_client, alice):
    AssetFactory(owner=alice)
    response = alice_client.get("/library/?kind=banana&date_from=yesterday&sort=nope")
    assert response.status_code == 200


def test_unknown_collection_in_the_url_is_404(alice_client, bob):
    other = CollectionFactory(owner=bob)
    assert alice_client.get(f"/library/?collection={other.public_id}").status_code == 404
    assert alice_client.get("/library/?collection=nonsense").status_code == 404


def test_text_assets_share_the_archive(alice_client, alice):
    report = text_asset(alice, title="Quarterly report")
    html = alice_client.get("/library/").content.decode()
    assert "Quarterly report" in html and "Text" in html
    detail = alice_client.get(report.get_absolute_url()).content.decode()
    assert "a,b" in detail  # a text preview
    thumb = alice_client.get(report.rendition_url("grid"))
    assert thumb["Content-Type"] == "image/svg+xml"


@pytest.mark.parametrize(
    "url", ["/library/", "/library/trash/", "/library/collections/", "/library/shares/"]
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_trash_page_lists_only_my_trashed(alice_client, alice, bob):
    mine = AssetFactory(owner=alice, status="trashed", trashed_at=timezone.now(), title="Gone")
    AssetFactory(owner=bob, status="trashed", trashed_at=timezone.now(), title="Bob gone")
    live = AssetFactory(owner=alice, title="Still here")
    html = alice_client.get("/library/trash/").content.decode()
    assert mine.get_absolute_url() in html
    assert "Bob gone" not in html and live.get_absolute_url() not in html
    fragment = alice_client.get("/library/trash/", **HTMX).content.decode()
    assert "<html" not in fragment and "Gone" in fragment


# --------------------------------------------------------------------------- tile cache


def test_tiles_are_cached_by_asset_version(alice_client, alice):
    from assets.services import asset_rename

    asset = AssetFactory(owner=alice, title="First name")
    assert "First name" in alice_client.get("/library/", **HTMX).content.decode()
    # A change that leaves updated_at alone is not seen: the tile came from the cache.
    Asset.objects.filter(pk=asset.pk).update(title="Sneaky")
    assert "First name" in alice_client.get("/library/", **HTMX).content.decode()
    # Every real edit moves updated_at, so the tile is rendered again.
    asset.refresh_from_db()
    asset_rename(asset=asset, title="Second name")
    html = alice_client.get("/library/", **HTMX).content.decode()
    assert "Second name" in html and "First name" not in html


def test_cached_tiles_carry_this_requests_token_and_next(alice_client, alice):
    AssetFactory(owner=alice, title="Tile")
    alice_client.get("/library/", **HTMX)  # fills the tile cache
    response = alice_client.get("/library/?sort=oldest", **HTMX)
    html = response.content.decode()
    assert "<!--tile-" not in html
    assert 'name="next" value="/library/?sort=oldest"' in html
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert len(token) == 64


def test_favourite_from_a_cached_tile_works_without_javascript(alice_client, alice):
    asset = AssetFactory(owner=alice)
    html = alice_client.get("/library/", **HTMX).content.decode()
    assert 'aria-label="Add to favourites"' in html
    response = alice_client.post(asset.favourite_url, {"value": "1", "next": "/library/"})
    assert response.status_code == 302
    html = alice_client.get("/library/", **HTMX).content.decode()
    assert 'aria-label="Favourite: remove from favourites"' in html


# --------------------------------------------------------------------------- stacks, masks


def _job_outputs(owner, n, *, parent=None):
    import io
    import uuid

    from assets.services import asset_create_output
    from tests.utils import image_bytes

    job_id = uuid.uuid4()
    return job_id, [
        asset_create_output(
            owner=owner,
            fh=io.BytesIO(image_bytes("PNG", (40, 30))),
            content_type="image/png",
            extension="png",
            source_module="social",
            operation="social_pack",
            parent=parent,
            source_job_id=job_id,
            title=f"Rendition {i}",
        )
        for i in range(n)
    ]


def test_a_jobs_outputs_are_one_stack_tile(alice_client, alice):
    source = AssetFactory(owner=alice, title="Source photo")
    job_id, outputs = _job_outputs(alice, 4, parent=source)
    cover = outputs[0]
    cover.refresh_from_db()
    assert cover.stack_size == 4 and cover.stacked_under_id is None
    assert all(o.stacked_under_id == cover.pk for o in outputs[1:])

    html = alice_client.get("/library/", **HTMX).content.decode()
    assert html.count('class="asset-card') == 2  # the source and one stack
    assert "4 outputs" in html and f"?stack={job_id}" in html
    assert "2 items" in html
    assert "Rendition 2" not in html

    opened = alice_client.get(f"/library/?stack={job_id}", **HTMX).content.decode()
    assert all(f"Rendition {i}" in opened for i in range(4))
    assert "Source photo" not in opened
    assert "One job’s outputs" in opened


def test_stacks_count_in_search_as_one_tile(alice_client, alice):
    _job_outputs(alice, 3)
    html = alice_client.get("/library/", {"q": "Rendition"}, **HTMX).content.decode()
    assert html.count('class="asset-card') == 1


def test_masks_stay_out_of_the_library_and_search(alice_client, alice):
    AssetFactory(owner=alice, title="Brush mask", is_mask=True)
    AssetFactory(owner=alice, title="Beach photo")
    html = alice_client.get("/library/", **HTMX).content.decode()
    assert "Beach photo" in html and "Brush mask" not in html
    html = alice_client.get("/library/", {"q": "mask"}, **HTMX).content.decode()
    assert "Brush mask" not in html


def test_derived_outputs_can_be_hidden(alice_client, alice):
    source = AssetFactory(owner=alice, title="Original shot")
    AssetFactory(owner=alice, title="Upscaled shot", parent=source)
    shown = alice_client.get("/library/", **HTMX).content.decode()
    assert "Upscaled shot" in shown
    hidden = alice_client.get("/library/", {"derived": "hide"}, **HTMX).content.decode()
    assert "Original shot" in hidden and "Upscaled shot" not in hidden
    page = alice_client.get("/library/", {"derived": "hide"}).content.decode()
    assert '<option value="hide" selected>' in page


def test_stack_tiles_keep_a_constant_query_count(alice_client, alice):
    _job_outputs(alice, 3)
    alice_client.get("/library/", **HTMX)
    with CaptureQueriesContext(connection) as small:
        alice_client.get("/library/", **HTMX)
    for n in (2, 4, 6):
        _job_outputs(alice, n)
    alice_client.get("/library/", **HTMX)  # renders and caches the new stacks' tiles
    with CaptureQueriesContext(connection) as large:
        html = alice_client.get("/library/", **HTMX).content.decode()
    assert html.count('class="stack-count"') == 4
    assert len(large) == len(small)
