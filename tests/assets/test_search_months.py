"""A newest-first search in a large library is read month by month from the newest
(PostgreSQL: the month is in the search index). It must show exactly what reading every
match would show, page after page."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets import selectors
from assets.models import Asset
from assets.selectors import (
    MONTH_SQL,
    LibraryFilters,
    library_page,
    library_queryset,
    month_key,
    newest_months,
)
from assets.services import asset_search_reindex
from tests.conftest import HTMX

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.services,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the month is in PostgreSQL's index"
    ),
]

# Two of every three items match "misty forest"; one in three is a beach. Items are 4
# days apart, across about 20 months; two sit either side of a new year in UTC.
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def _month_of_sql(asset_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {MONTH_SQL} FROM assets_asset WHERE id = %s", [asset_id])
        return cursor.fetchone()[0]


def _row(owner, title, when, **fields) -> Asset:
    return Asset(
        owner=owner,
        title=title,
        file="assets/x/a.png",
        content_type="image/png",
        checksum="0" * 64,
        created_at=when,
        **fields,
    )


@pytest.fixture
def archive(alice, bob):
    start = datetime(2025, 1, 3, 12, tzinfo=UTC)
    rows = []
    for i in range(150):
        title = "Beach day" if i % 3 == 2 else "Misty forest walk"
        rows.append(
            _row(alice, f"{title} {i}", start + timedelta(days=4 * i), source_module="create")
        )
    # Either side of the new year, and the same instant twice (ties break by id).
    for when in (NEW_YEAR - timedelta(seconds=1), NEW_YEAR, NEW_YEAR):
        rows.append(_row(alice, "Misty forest at midnight", when))
    # Another owner's matches never show.
    rows.append(_row(bob, "Misty forest of Bob", start + timedelta(days=599)))
    made = Asset.objects.bulk_create(rows)
    asset_search_reindex(asset_ids=[a.pk for a in made])
    return made


def _pages(owner, filters, *, months, size=7):
    """Every page of a search, following its cursors: (ids, next cursor) per page."""
    out, after = [], ""
    while True:
        qs = library_queryset(owner=owner, filters=filters)
        page = library_page(
            qs,
            sort=filters.sort,
            after=after,
            size=size,
            months=newest_months(owner=owner, filters=filters) if months else None,
        )
        out.append(([a.pk for a in page.items], page.next_cursor))
        if not page.next_cursor:
            return out
        after = page.next_cursor


def _month_queries(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if "date_part('year'" in q["sql"] and not q["sql"].startswith("EXPLAIN")
    ]


def test_month_key_is_the_index_expression(alice):
    plus_two = timezone(timedelta(hours=2))
    instants = [
        NEW_YEAR - timedelta(seconds=1),
        NEW_YEAR,
        # Half past midnight on New Year's Day in UTC+2 is still December in UTC.
        datetime(2026, 1, 1, 0, 30, tzinfo=plus_two),
        datetime(2024, 2, 29, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    for when in instants:
        asset = Asset.objects.create(
            owner=alice, file="assets/x/k.png", content_type="image/png", created_at=when
        )
        assert month_key(when) == _month_of_sql(asset.pk), when
    assert month_key(NEW_YEAR) == month_key(NEW_YEAR - timedelta(seconds=1)) + 1


def test_a_search_with_many_matches_reads_its_newest_months(alice, archive, monkeypatch):
    monkeypatch.setattr(selectors, "MONTHS_MIN_MATCHES", 0)
    filters = LibraryFilters(q="misty forest")
    qs = library_queryset(owner=alice, filters=filters)
    with CaptureQueriesContext(connection) as ctx:
        page = library_page(qs, size=7, months=newest_months(owner=alice, filters=filters))
    newest = list(qs.order_by("-created_at", "-id")[:7])
    assert page.items == newest
    assert all("Misty forest" in a.title for a in page.items)
    # Read from the newest month or two, never the whole index.
    months = _month_queries(ctx)
    assert 1 <= len(months) <= 2
    assert not any(
        q["sql"].startswith("SELECT")
        and "search_vector" in q["sql"]
        and "date_part" not in q["sql"]
        for q in ctx.captured_queries
    )


def test_month_by_month_pages_are_the_pages_of_the_whole_index(alice, archive, monkeypatch):
    monkeypatch.setattr(selectors, "MONTHS_MIN_MATCHES", 0)
    for filters in (
        LibraryFilters(q="misty forest"),
        LibraryFilters(q="midnight"),
        LibraryFilters(q="misty", module="create"),
        LibraryFilters(q="forest", date_to=datetime(2025, 9, 30).date()),
    ):
        whole = _pages(alice, filters, months=False)
        with CaptureQueriesContext(connection) as ctx:
            monthly = _pages(alice, filters, months=True)
        assert monthly == whole, filters
        assert _month_queries(ctx), filters
    every = [
        pk for ids, _ in _pages(alice, LibraryFilters(q="misty forest"), months=True) for pk in ids
    ]
    expected = list(
        Asset.objects.filter(owner=alice, title__icontains="misty forest")
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert every == expected


def test_too_few_recent_matches_read_the_whole_index(alice, archive, monkeypatch):
    monkeypatch.setattr(selectors, "MONTHS_MIN_MATCHES", 0)
    monkeypatch.setattr(selectors, "MAX_MONTHS", 2)
    filters = LibraryFilters(q="beach")
    qs = library_queryset(owner=alice, filters=filters)
    with CaptureQueriesContext(connection) as ctx:
        page = library_page(qs, size=40, months=newest_months(owner=alice, filters=filters))
    assert page.items == list(qs.order_by("-created_at", "-id")[:40])
    assert len(_month_queries(ctx)) == 2
    last = ctx.captured_queries[-1]["sql"]
    assert "search_vector" in last and "date_part" not in last


def test_a_search_with_few_matches_reads_the_whole_index_at_once(alice, archive):
    filters = LibraryFilters(q="midnight")
    qs = library_queryset(owner=alice, filters=filters)
    with CaptureQueriesContext(connection) as ctx:
        page = library_page(qs, size=7, months=newest_months(owner=alice, filters=filters))
    assert [a.title for a in page.items] == ["Misty forest at midnight"] * 3
    assert not _month_queries(ctx)


def test_only_a_newest_first_search_of_the_library_reads_by_month(alice):
    assert newest_months(owner=alice, filters=LibraryFilters(q="fox")) is not None
    assert newest_months(owner=alice, filters=LibraryFilters(tag="summer")) is not None
    for filters in (
        LibraryFilters(),
        LibraryFilters(q="fox", sort="oldest"),
        LibraryFilters(q="fox", sort="size"),
        LibraryFilters(q="fox", trashed=True),
        LibraryFilters(q="   "),
    ):
        assert newest_months(owner=alice, filters=filters) is None, filters


def test_the_library_page_shows_the_newest_matches(alice_client, alice, archive, monkeypatch):
    monkeypatch.setattr(selectors, "MONTHS_MIN_MATCHES", 0)
    with CaptureQueriesContext(connection) as ctx:
        html = alice_client.get("/library/?q=misty+forest", **HTMX).content.decode()
    assert _month_queries(ctx)
    newest = (
        Asset.objects.filter(owner=alice, title__startswith="Misty forest walk")
        .order_by("-created_at")
        .first()
    )
    assert newest.title in html
    assert "Misty forest of Bob" not in html
    assert "Beach day" not in html
