from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assets.selectors import (
    SEARCH_MAX_TERMS,
    LibraryFilters,
    library_queryset,
    search_suggestion,
    search_words,
)
from assets.services import asset_search_reindex, assets_tag
from tests.assets.factories import CollectionFactory, generated_asset
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _search(owner, **filters):
    return set(library_queryset(owner=owner, filters=LibraryFilters(**filters)))


@pytest.fixture
def library(alice, bob):
    assets = {
        "fox": generated_asset(
            alice, title="Forest morning", prompt="a red fox in a misty forest", seed=424242
        ),
        "city": generated_asset(
            alice,
            title="Night city",
            prompt="neon city street at night, rain",
            model="flux-dev",
            provider="stability",
            seed=7,
        ),
        "upload": AssetFactory(owner=alice, title="Holiday beach"),
        "bob_fox": generated_asset(bob, title="Bob's fox", prompt="a red fox, watercolour"),
    }
    asset_search_reindex(asset_ids=[a.pk for a in assets.values()])
    return assets


def test_it_finds_by_prompt_word(alice, library):
    assert _search(alice, q="fox") == {library["fox"]}
    assert _search(alice, q="misty forest") == {library["fox"]}


def test_it_finds_by_title(alice, library):
    assert _search(alice, q="Holiday") == {library["upload"]}


def test_it_finds_by_id_prefix(alice, library):
    target = library["city"]
    assert _search(alice, q=target.public_id.hex[:8]) == {target}
    assert _search(alice, q=str(target.public_id)) == {target}
    assert _search(alice, q=str(target.public_id)[:13]) == {target}


def test_it_finds_by_model_and_provider(alice, library):
    assert _search(alice, q="flux-dev") == {library["city"]}
    assert _search(alice, q="stability") == {library["city"]}


def test_it_finds_by_exact_seed(alice, library):
    assert _search(alice, q="424242") == {library["fox"]}
    assert _search(alice, q="42424") == set()


def test_it_finds_by_tag(alice, library):
    assets_tag(owner=alice, asset_ids=[library["upload"].pk], names=["summer trip"])
    assert library["upload"] in _search(alice, q="summer")


def test_filters_compose_with_search(alice, library):
    yesterday = timezone.localdate() - timedelta(days=1)
    assert _search(alice, q="fox", module="create") == {library["fox"]}
    assert _search(alice, q="fox", module="upload") == set()
    assert _search(alice, module="create", provider="stability") == {library["city"]}
    assert _search(alice, kind="image", model="FLUX-DEV") == {library["city"]}
    library["fox"].is_favourite = True
    library["fox"].save()
    assert _search(alice, favourites=True) == {library["fox"]}
    assert _search(alice, favourites=True, q="city") == set()
    assert _search(alice, date_from=yesterday) == {
        library["fox"],
        library["city"],
        library["upload"],
    }
    assert _search(alice, date_to=yesterday) == set()
    collection = CollectionFactory(owner=alice)
    collection.assets.add(library["city"], library["upload"])
    assert _search(alice, collection=collection, q="night") == {library["city"]}
    assets_tag(owner=alice, asset_ids=[library["city"].pk], names=["neon"])
    assert _search(alice, tag="neon", collection=collection) == {library["city"]}


def test_another_users_assets_never_match(alice, bob, library):
    assert library["bob_fox"] not in _search(alice, q="fox")
    assert library["bob_fox"] not in _search(alice, q=library["bob_fox"].public_id.hex[:10])
    assert _search(bob, q="fox") == {library["bob_fox"]}


def test_the_library_page_searches_from_the_url(alice_client, library):
    html = alice_client.get("/library/", {"q": "fox"}).content.decode()
    assert library["fox"].get_absolute_url() in html
    assert library["city"].get_absolute_url() not in html
    assert library["bob_fox"].get_absolute_url() not in html
    assert "1 item" in html
    assert 'value="fox"' in html  # the search box keeps the state


def test_counts_never_include_other_users(alice_client, library):
    fragment = alice_client.get("/library/", {"q": "red fox"}, **HTMX).content.decode()
    assert "1 item matching" in fragment


# --------------------------------------------------------------------------- limits, typos


def test_an_over_long_search_is_refused_with_a_message(alice_client, library):
    response = alice_client.get("/library/", {"q": "fox " * 60}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Search for at most 200 characters" in html
    # Not the whole library instead: nothing is listed at all.
    assert 'class="asset-card' not in html
    full = alice_client.get("/library/", {"q": "fox " * 60}).content.decode()
    assert "Search for at most 200 characters" in full


def test_a_long_many_word_search_uses_its_first_words(alice_client, library):
    q = " ".join(["red", "fox"] * 20)
    assert len(search_words(q)) == SEARCH_MAX_TERMS
    html = alice_client.get("/library/", {"q": q[:200]}, **HTMX).content.decode()
    assert library["fox"].get_absolute_url() in html
    assert f"Searched for the first {SEARCH_MAX_TERMS} words" in html


def test_a_misspelt_word_finds_the_word_the_owner_uses(alice_client, alice):
    astronaut = generated_asset(alice, prompt="an astronaut riding a horse on the moon")
    generated_asset(alice, prompt="a horse in a field")
    asset_search_reindex(asset_ids=[astronaut.pk])
    html = alice_client.get("/library/", {"q": "astronut"}, **HTMX).content.decode()
    assert astronaut.get_absolute_url() in html
    assert "No matches for “astronut”" in html
    assert "Showing results for <strong>“astronaut”</strong>" in html
    assert "1 item matching" in html


def test_the_typo_fallback_never_suggests_another_users_words(alice_client, alice, bob):
    theirs = generated_asset(bob, prompt="an astronaut riding a horse")
    asset_search_reindex(asset_ids=[theirs.pk])
    assert search_suggestion("astronut", owner=alice) is None
    html = alice_client.get("/library/", {"q": "astronut"}, **HTMX).content.decode()
    assert "No matches" in html and "Showing results" not in html


def test_a_search_that_matches_needs_no_suggestion(alice, library):
    assert search_suggestion("fox", owner=alice) is None


# --------------------------------------------------------------------------- PostgreSQL

postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL full-text search and pg_trgm"
)


@pytest.mark.services
@postgres
def test_postgres_keeps_a_weighted_search_document(alice, library):
    fox = library["fox"]
    fox.refresh_from_db()
    document = str(fox.search_vector)
    assert "'forest':1A" in document  # the title, weight A
    assert "'fox':" in document and "B" in document  # the prompt, weight B


@pytest.mark.services
@postgres
def test_postgres_prefix_and_stemming(alice, library):
    assert _search(alice, q="fore") == {library["fox"]}  # prefix of a word
    assert _search(alice, q="streets") == {library["city"]}  # stemmed


@pytest.mark.services
@postgres
def test_postgres_trigram_tolerates_typos_in_titles(alice_client, library):
    html = alice_client.get("/library/", {"q": "Holliday"}, **HTMX).content.decode()
    assert library["upload"].get_absolute_url() in html
    assert "Showing results for" in html


@pytest.mark.services
@postgres
def test_postgres_typo_fallback_uses_the_trigram_index(alice, library):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'assets_searchterm'")
        assert "search_term_word_trgm_gin" in {row[0] for row in cursor.fetchall()}
    assert search_suggestion("mistty forrest", owner=alice) == "misty forest"


@pytest.mark.services
@postgres
def test_postgres_websearch_syntax(alice, library):
    assert _search(alice, q='"red fox" -watercolour') == {library["fox"]}


@pytest.mark.services
@postgres
def test_postgres_indexes_exist(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'assets_asset' AND indexdef ILIKE '%gin%'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"asset_search_month_gin", "asset_title_trgm_gin"} <= names


def test_tag_filters_find_tags_of_any_words(alice, library):
    # "the" has no lexeme in PostgreSQL's English configuration: it must still filter.
    assets_tag(owner=alice, asset_ids=[library["upload"].pk], names=["the", "summer trip"])
    assets_tag(owner=alice, asset_ids=[library["city"].pk], names=["trips"])
    assert _search(alice, tag="the") == {library["upload"]}
    assert _search(alice, tag="summer trip") == {library["upload"]}
    assert _search(alice, tag="trips") == {library["city"]}
    assert _search(alice, tag="trips", q="neon") == {library["city"]}
    assert _search(alice, tag="summer trip", q="neon") == set()
