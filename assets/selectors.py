"""Reads of the asset library, always scoped to an owner."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import (
    Asset,
    AssetTag,
    Collection,
    CollectionItem,
    SearchTerm,
    ShareLink,
    Tag,
    UsageEvent,
)

PAGE_SIZE = 48

# Columns a grid card or list row reads; everything else (params, metadata, the search
# document…) stays in the database.
CARD_FIELDS = (
    "id",
    "public_id",
    "owner_id",
    "kind",
    "status",
    "title",
    "prompt",
    "original_filename",
    "width",
    "height",
    "file_size",
    "content_type",
    "source_module",
    "provider",
    "model",
    "seed",
    "cost_credits",
    "usage_count",
    "is_favourite",
    "created_at",
    "updated_at",
    "trashed_at",
    "source_job_id",
    "stack_size",
)


def asset_list(*, owner) -> QuerySet[Asset]:
    return Asset.objects.filter(owner=owner, status=Asset.Status.READY)


def asset_get_for_owner(*, owner, public_id, include_trashed: bool = False) -> Asset:
    """Return the owner's asset with this public id, or raise Http404 (also for others' ids)."""
    qs = Asset.objects.filter(owner=owner)
    if not include_trashed:
        qs = qs.filter(status=Asset.Status.READY)
    return get_object_or_404(qs.select_related("parent"), public_id=public_id)


def assets_by_public_ids(*, owner, public_ids, statuses=(Asset.Status.READY,)) -> list[int]:
    """Primary keys of the owner's assets among ``public_ids`` (others' ids are ignored)."""
    valid = []
    for value in public_ids:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not valid:
        return []
    return list(
        Asset.objects.filter(owner=owner, public_id__in=valid, status__in=statuses).values_list(
            "pk", flat=True
        )
    )


# Columns of a version: a card's, and what places it in its tree.
VERSION_FIELDS = (*CARD_FIELDS, "parent_id", "root_id", "operation")


def _version_members(*, root_id: int, owner_id: int) -> list[Asset]:
    """The versions of the tree rooted at ``root_id`` that belong to ``owner_id`` (any
    status), oldest first, in one query.

    The owner is checked on the fetched rows rather than in the WHERE clause: with an
    owner term SQLite (which keeps no statistics unless ANALYZE has run) walks every
    asset of the owner instead of the root's own index, 3 ms at 5,000 assets and
    growing with the library; the tree alone is a handful of rows on any database.
    """
    return [
        a
        for a in Asset.objects.filter(Q(pk=root_id) | Q(root_id=root_id))
        .only(*VERSION_FIELDS)
        .order_by("created_at", "id")
        if a.owner_id == owner_id
    ]


def _trail(asset: Asset, members: list[Asset]) -> list[Asset]:
    by_pk = {a.pk: a for a in members}
    chain = []
    seen = {asset.pk}
    current = by_pk.get(asset.parent_id)
    while current is not None and current.pk not in seen and len(chain) < 50:
        chain.append(current)
        seen.add(current.pk)
        current = by_pk.get(current.parent_id)
    return list(reversed(chain))


def asset_lineage(*, asset: Asset) -> list[Asset]:
    """Ancestors from the root down to ``asset``'s parent (the version trail).

    One query: every version shares its tree's ``root_id``, so the chain is walked in
    memory instead of one parent lookup per step.
    """
    if asset.parent_id is None:
        return []
    root_id = asset.root_id or asset.parent_id
    return _trail(asset, _version_members(root_id=root_id, owner_id=asset.owner_id))


@dataclass
class TreeNode:
    asset: Asset
    children: list[TreeNode] = field(default_factory=list)


def _tree(asset: Asset, root_id: int, members: list[Asset]) -> TreeNode:
    nodes = {a.pk: TreeNode(a) for a in members if a.status == Asset.Status.READY}
    if root_id not in nodes:
        nodes[root_id] = TreeNode(asset)
    root = nodes[root_id]
    for node in nodes.values():
        if node is root:
            continue
        parent = nodes.get(node.asset.parent_id) or root
        if parent is not node:
            parent.children.append(node)
    return root


def asset_versions(*, asset: Asset) -> tuple[list[Asset], TreeNode]:
    """``(trail, tree)`` of ``asset``: its version trail (``asset_lineage``) and the whole
    version tree it belongs to, from its root. Trashed versions are left out of the tree;
    a version whose parent is gone hangs off the root.

    One query for both, as the trail and the tree start from the same root (all but rows
    without a ``root_id``).
    """
    root_id = asset.root_id or asset.pk
    members = _version_members(root_id=root_id, owner_id=asset.owner_id)
    if asset.parent_id is None:
        lineage = []
    elif asset.root_id:
        lineage = _trail(asset, members)
    else:
        lineage = asset_lineage(asset=asset)
    return lineage, _tree(asset, root_id, members)


def asset_usage_counts(*, asset: Asset) -> dict[str, int]:
    """``{kind: count}`` of the asset's usage events, every kind present (0 when none)."""
    counts = dict(
        UsageEvent.objects.filter(asset=asset)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in UsageEvent.Kind.values}


def asset_exports(*, asset: Asset, limit: int = 10) -> list[UsageEvent]:
    return list(
        UsageEvent.objects.filter(asset=asset, kind=UsageEvent.Kind.EXPORT).order_by("-created_at")[
            :limit
        ]
    )


def asset_tags(*, asset: Asset) -> list[AssetTag]:
    return list(AssetTag.objects.filter(asset=asset).select_related("tag").order_by("tag__name"))


def asset_share_links(*, asset: Asset) -> list[ShareLink]:
    """Live share links that show ``asset`` (directly or through one of its collections)."""
    now = timezone.now()
    return list(
        ShareLink.objects.filter(
            Q(asset=asset) | Q(collection__items__asset=asset),
            owner_id=asset.owner_id,
            revoked_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .distinct()
    )


def assets_in_live_shares(*, owner, asset_ids) -> set[int]:
    """Which of these assets are visible through a live share link (to warn before trashing)."""
    now = timezone.now()
    live = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    shares = ShareLink.objects.filter(live, owner=owner)
    direct = set(shares.filter(asset_id__in=asset_ids).values_list("asset_id", flat=True))
    via = set(
        CollectionItem.objects.filter(
            asset_id__in=asset_ids, collection__share_links__in=shares
        ).values_list("asset_id", flat=True)
    )
    return direct | via


# --------------------------------------------------------------------------- library


SORTS: dict[str, tuple[str, bool]] = {
    # name → (column, descending)
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "size": ("file_size", True),
    "cost": ("cost_credits", True),
    "used": ("usage_count", True),
}
SORT_LABELS = {
    "newest": "Newest",
    "oldest": "Oldest",
    "size": "Largest",
    "cost": "Most credits",
    "used": "Most used",
}


@dataclass
class LibraryFilters:
    q: str = ""
    kind: str = ""
    module: str = ""
    provider: str = ""
    model: str = ""
    date_from: date | None = None
    date_to: date | None = None
    trashed: bool = False
    favourites: bool = False
    collection: Collection | None = None
    tag: str = ""
    sort: str = "newest"
    # Outputs made from another library item (edits, upscales, social renditions).
    derived: bool = True
    # Open one job's stack: every output of that job, flat.
    stack: uuid.UUID | None = None


# Search limits: longer queries are refused with a message (never "no filter at all"),
# and only the first words of a long query are searched, so its cost stays bounded.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_TERMS = 8


def search_words(q: str) -> list[str]:
    """The words of ``q`` that are searched (at most ``SEARCH_MAX_TERMS``)."""
    return re.findall(r"\w+", q)[:SEARCH_MAX_TERMS]


_HEX_ID = re.compile(r"^[0-9a-f]{6,32}$")


def _uuid_prefix_range(term: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The UUID range every id starting with ``term`` falls in (hyphens ignored), if any.

    A range instead of ``LIKE 'abc%'`` lets the unique index on ``public_id`` answer it on
    every database, whatever text form the database gives a UUID.
    """
    hex_part = term.lower().replace("-", "")
    if not _HEX_ID.match(hex_part):
        return None
    low = uuid.UUID(hex_part.ljust(32, "0"))
    high = uuid.UUID(hex_part.ljust(32, "f"))
    return low, high


def _search_condition(q: str, *, owner) -> Q:
    """Match ``q`` against title, prompt, tags, model, provider, id prefix and seed."""
    q = q.strip()[:SEARCH_MAX_CHARS]
    cond = Q(pk__in=[])
    id_range = _uuid_prefix_range(q)
    if id_range:
        cond |= Q(public_id__range=id_range)
    if re.fullmatch(r"-?\d{1,19}", q):
        seed = int(q)
        if -(2**63) <= seed < 2**63:
            cond |= Q(seed=seed)
    words = search_words(q)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        if re.search(r"[\"]|(^|\s)-|\bor\b", q, re.IGNORECASE) or not words:
            # Quotes, exclusions and OR: the user wrote a web-style query; honour it.
            query = SearchQuery(q, search_type="websearch", config="english")
        else:
            # Every word must match. A word the owner has used is matched as that word
            # (stemmed), which the planner can estimate from the column's statistics;
            # any other word as a prefix: "suns" finds "sunset".
            lowered = [w.lower() for w in words]
            known = set(
                SearchTerm.objects.filter(owner=owner, word__in=lowered).values_list(
                    "word", flat=True
                )
            )
            query = SearchQuery(
                " & ".join(w if w in known else f"{w}:*" for w in lowered),
                search_type="raw",
                config="english",
            )
        # One indexed condition per branch (GIN, unique id, seed): the planner ORs bitmaps.
        # Typos are handled by ``search_suggestion`` when this finds nothing.
        return cond | Q(search_vector=query)
    # Other databases: every word must appear somewhere, case-insensitively.
    if words:
        every = Q()
        for word in words:
            has_tag = Exists(
                AssetTag.objects.filter(
                    asset=OuterRef("pk"), tag__owner=owner, tag__name__icontains=word
                )
            )
            every &= (
                Q(title__icontains=word)
                | Q(prompt__icontains=word)
                | Q(model__icontains=word)
                | Q(provider__icontains=word)
                | has_tag
            )
        cond |= every
    return cond


def search_suggestion(q: str, *, owner) -> str | None:
    """``q`` with each word the owner has never used replaced by the closest word they
    have ("astronut" → "astronaut"), or None when no word needs (or finds) a correction.

    PostgreSQL ranks the owner's vocabulary by trigram similarity (GIN-indexed, so a
    handful of index probes whatever the library's size); other databases compare the
    vocabulary in Python.
    """
    words = [w.lower() for w in search_words(q)]
    candidates = [w for w in words if len(w) >= 3 and not w.isdigit()]
    if not candidates:
        return None
    terms = SearchTerm.objects.filter(owner=owner)
    known = set(terms.filter(word__in=candidates).values_list("word", flat=True))
    fixes: dict[str, str] = {}
    for word in candidates:
        if word in known:
            continue
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import TrigramSimilarity

            best = (
                terms.filter(word__trigram_similar=word)
                .annotate(similarity=TrigramSimilarity("word", word))
                .order_by("-similarity", "word")
                .values_list("word", flat=True)
                .first()
            )
        else:
            import difflib

            pool = list(
                terms.filter(word__startswith=word[0]).values_list("word", flat=True)[:20000]
            )
            best = next(iter(difflib.get_close_matches(word, pool, n=1, cutoff=0.75)), None)
        if best and best != word:
            fixes[word] = best
    if not fixes:
        return None
    return " ".join(fixes.get(w, w) for w in words)


def library_queryset(*, owner, filters: LibraryFilters) -> QuerySet[Asset]:
    """The owner's assets matching ``filters`` (not yet ordered or paginated)."""
    status = Asset.Status.TRASHED if filters.trashed else Asset.Status.READY
    # Masks never show in the library: they belong to the job that used them.
    qs = Asset.objects.filter(owner=owner, status=status, is_mask=False)
    if filters.stack is not None:
        qs = qs.filter(source_job_id=filters.stack)
    elif not filters.trashed:
        # A job's outputs are one tile (the stack's cover) until the stack is opened.
        qs = qs.filter(stacked_under__isnull=True)
    if not filters.derived:
        qs = qs.filter(parent__isnull=True)
    if filters.q:
        qs = qs.filter(_search_condition(filters.q, owner=owner))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.module:
        qs = qs.filter(source_module=filters.module)
    if filters.provider:
        qs = qs.filter(provider__iexact=filters.provider)
    if filters.model:
        qs = qs.filter(model__iexact=filters.model)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    if filters.favourites:
        qs = qs.filter(is_favourite=True)
    if filters.collection is not None:
        qs = qs.filter(
            Exists(
                CollectionItem.objects.filter(collection=filters.collection, asset=OuterRef("pk"))
            )
        )
    prefiltered = bool(
        filters.tag and connection.vendor == "postgresql" and re.search(r"\w", filters.tag)
    )
    if prefiltered:
        # A tag's words are in the search document too: the GIN index narrows the rows
        # to those carrying them (in the same index scan as the search words), and the
        # exact test below decides. A tag of stop words only has no lexemes to look for;
        # the first test is a constant the planner folds away.
        # Tags are the document's C part, so only the words' C positions are asked for:
        # rows that have them only in a title or prompt are dropped on the index's
        # recheck, before the exact test runs on them.
        tag_words = " & ".join(f"{w}:C" for w in re.findall(r"\w+", filters.tag))
        qs = qs.filter(
            RawSQL(
                "(numnode(plainto_tsquery('english', %s)) = 0"
                " OR assets_asset.search_vector @@ to_tsquery('english', %s))",
                [filters.tag, tag_words],
                output_field=BooleanField(),
            )
        )
    if prefiltered:
        # Checked row by row on what the index found: OFFSET 0 keeps PostgreSQL from
        # turning the test into a join driven by every asset that carries the tag.
        qs = qs.filter(
            RawSQL(
                "EXISTS (SELECT 1 FROM assets_assettag l JOIN assets_tag t ON t.id = l.tag_id"
                " WHERE l.asset_id = assets_asset.id AND t.owner_id = %s AND t.name = %s"
                " OFFSET 0)",
                [owner.pk, filters.tag],
                output_field=BooleanField(),
            )
        )
    elif filters.tag:
        qs = qs.filter(
            Exists(
                AssetTag.objects.filter(
                    asset=OuterRef("pk"), tag__owner=owner, tag__name=filters.tag
                )
            )
        )
    return qs


# A search for common words matches thousands of assets in a large archive, and a GIN
# index returns its matches in no useful order: all of them are read and sorted by date
# to show the newest 48, so such a search grows with the archive. The search index also
# holds each asset's month (migration 0010, the same expression), so when the planner
# says it would read that many matches, the page is read month by month from the newest,
# each month one short index scan, until it is full.
MONTH_SQL = (
    "((date_part('year', \"assets_asset\".\"created_at\" AT TIME ZONE 'UTC') * 12"
    " + date_part('month', \"assets_asset\".\"created_at\" AT TIME ZONE 'UTC'))::integer)"
)
# Below this many matches (the planner's estimate) reading them all is cheap; a search
# the planner answers by walking the grid's date index (frequent words) is left alone.
MONTHS_MIN_MATCHES = 1000
# Months read before giving up and reading the whole index (the page's matches were not
# as recent as the estimate suggested).
MAX_MONTHS = 12


def month_key(when: datetime) -> int:
    """``MONTH_SQL`` of ``when``: one number per calendar month (UTC), one apart."""
    when = when.astimezone(UTC)
    return when.year * 12 + when.month


def _month_start(key: int) -> datetime:
    return datetime((key - 1) // 12, (key - 1) % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class NewestMonths:
    """A newest-first search that may be read month by month; ``newest()`` gives the month
    of the newest row its first page could show (None: there is none)."""

    newest: Callable[[], int | None]


def _in_month(key: int) -> Q:
    # The month for the search index; the same month as a date range, for the planner's
    # estimate (and a bounded walk, should it prefer the grid's date index).
    month = RawSQL(f"{MONTH_SQL} = %s", [key], output_field=BooleanField())  # noqa: S611
    return Q(month) & Q(created_at__gte=_month_start(key), created_at__lt=_month_start(key + 1))


def _planned_matches(qs: QuerySet) -> float:
    """How many matches the planner expects to collect from a bitmap index scan and sort
    for ``qs`` (0 when it would read an index in order and stop at the page's end)."""

    def nodes(plan):
        yield plan
        for child in plan.get("Plans", ()):
            yield from nodes(child)

    plan = json.loads(qs.explain(format="json"))[0]["Plan"]
    found = list(nodes(plan))
    if not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in found):
        return 0
    return max((n["Plan Rows"] for n in found if n["Node Type"] == "Bitmap Index Scan"), default=0)


def newest_months_first(
    qs: QuerySet, *, first: Callable[[], int | None], limit: int
) -> list | None:
    """The first ``limit`` rows of ``qs`` (ordered newest first, nothing in it newer than
    month ``first()``, asked only when needed) read month by month from there back, or
    None when the whole
    index is the better read (few matches) or the months up to ``MAX_MONTHS`` hold too
    few, and the caller should read ``qs`` whole.

    Every row of an earlier month is older than every row of a later one, so the rows
    found are exactly the first ``limit`` of ``qs``.
    """
    if _planned_matches(qs[:limit]) < MONTHS_MIN_MATCHES:
        return None
    newest = first()
    if newest is None:
        return None
    found: list = []
    for key in range(newest, newest - MAX_MONTHS, -1):
        found += list(qs.filter(_in_month(key))[: limit - len(found)])
        if len(found) >= limit:
            return found
    return None


def newest_months(*, owner, filters: LibraryFilters) -> NewestMonths | None:
    """How a library search looks in its newest months first, where that applies: on
    PostgreSQL (the month is in its search index), newest first, with words or a tag
    asked for (what the search index answers), in the library (not the trash, which is
    small, nor one job's stack)."""
    if connection.vendor != "postgresql" or filters.trashed or filters.stack is not None:
        return None
    if SORTS.get(filters.sort) != SORTS["newest"] or not (
        search_words(filters.q) or re.search(r"\w", filters.tag)
    ):
        return None

    def newest() -> int | None:
        # The grid's own index answers this from its first entry.
        when = (
            Asset.objects.filter(
                owner=owner, status=Asset.Status.READY, is_mask=False, stacked_under__isnull=True
            )
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        if when is None:
            return None
        if filters.date_to:
            when = min(when, datetime.combine(filters.date_to, time.max, tzinfo=tz))
        return month_key(when)

    tz = timezone.get_current_timezone()
    return NewestMonths(newest)


@dataclass
class KeysetPage:
    items: list[Asset]
    next_cursor: str | None
    prev_cursor: str | None
    sort: str

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _encode_cursor(value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, column: str) -> tuple[Any, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        pk = int(pk)
        if column == "created_at":
            value = datetime.fromisoformat(value)
            if timezone.is_naive(value):
                return None
        else:
            value = int(value)
    except (ValueError, TypeError, json.JSONDecodeError):
        return None
    return value, pk


def _after(column: str, descending: bool, value: Any, pk: int) -> Q:
    """Rows strictly after (value, pk) in this order.

    Written as ``col <= v AND (col < v OR id < pk)`` rather than a bare OR so that the
    first term bounds the index range scan: a deep page costs the same as the first.
    """
    if descending:
        return Q(**{f"{column}__lte": value}) & (Q(**{f"{column}__lt": value}) | Q(pk__lt=pk))
    return Q(**{f"{column}__gte": value}) & (Q(**{f"{column}__gt": value}) | Q(pk__gt=pk))


def library_page(
    qs: QuerySet[Asset],
    *,
    sort: str = "newest",
    after: str = "",
    before: str = "",
    size: int = PAGE_SIZE,
    with_tags: bool = False,
    months: NewestMonths | None = None,
) -> KeysetPage:
    """One page of ``qs`` in ``sort`` order, after (or before) a cursor, as cards.

    Keyset pagination: the page is found by an index seek from the cursor, so page 2,000
    is as fast as page 1, and the page does the same queries whatever its depth (one, or
    two with ``with_tags``).
    """
    qs = qs.only(*CARD_FIELDS)
    if with_tags:
        qs = qs.prefetch_related(
            Prefetch(
                "asset_tags", queryset=AssetTag.objects.select_related("tag").order_by("tag__name")
            )
        )
    return keyset_page(qs, sort=sort, after=after, before=before, size=size, months=months)


def keyset_page(
    qs: QuerySet,
    *,
    sort: str = "newest",
    after: str = "",
    before: str = "",
    size: int = PAGE_SIZE,
    position=None,
    months: NewestMonths | None = None,
) -> KeysetPage:
    """The keyset page behind ``library_page``, of any shape of ``qs`` rows: model
    instances by default, or e.g. ``values_list`` tuples with ``position(row)`` giving a
    row's (sort value, pk) for the cursors.

    With ``months`` (a search, newest first), the page is looked for in the newest months
    first (``newest_months_first``); the rows and cursors are the same either way."""
    column, descending = SORTS.get(sort, SORTS["newest"])
    sort = sort if sort in SORTS else "newest"
    if position is None:

        def position(row):
            return getattr(row, column), row.pk

    sign = "-" if descending else ""
    forward = [f"{sign}{column}", f"{sign}id"]
    backward = [f"{'' if descending else '-'}{column}", f"{'' if descending else '-'}id"]
    start = _decode_cursor(before, column) if before else None
    if start is not None:
        rows = list(
            qs.filter(_after(column, not descending, *start)).order_by(*backward)[: size + 1]
        )
        has_more_before = len(rows) > size
        items = list(reversed(rows[:size]))
        has_more_after = True
    else:
        start = _decode_cursor(after, column) if after else None
        if start is not None:
            qs = qs.filter(_after(column, descending, *start))
        rows = None
        if months is not None and sort == "newest":
            # Nothing after the cursor is newer than it; on the first page, nothing is
            # newer than the owner's newest asset.
            cursor_month = month_key(start[0]) if start is not None else None
            rows = newest_months_first(
                qs.order_by(*forward),
                first=(lambda: cursor_month) if cursor_month else months.newest,
                limit=size + 1,
            )
        if rows is None:
            rows = list(qs.order_by(*forward)[: size + 1])
        items = rows[:size]
        has_more_after = len(rows) > size
        has_more_before = start is not None
    next_cursor = prev_cursor = None
    if items and has_more_after:
        next_cursor = _encode_cursor(*position(items[-1]))
    if items and has_more_before:
        prev_cursor = _encode_cursor(*position(items[0]))
    return KeysetPage(items=items, next_cursor=next_cursor, prev_cursor=prev_cursor, sort=sort)


COUNT_CAP = 10_000


def library_count(qs: QuerySet[Asset], *, filters: LibraryFilters) -> int | None:
    """How many items the plain library (or trash) holds, up to ``COUNT_CAP + 1``; None
    for a search or filter.

    The plain library is counted from the grid index alone and stops at the cap ("10,000+
    items"). Counting the matches of a search or filter would cost as much again as the
    page itself (every match collected from the index), so those say "more than a page".
    """
    if filters == LibraryFilters(sort=filters.sort, trashed=filters.trashed):
        return qs.order_by()[: COUNT_CAP + 1].count()
    return None


# --------------------------------------------------------------------------- tags, collections


def _trashed_counts(link_model, column: str, *, owner) -> dict[int, int]:
    """``{tag or collection id: links to the owner's assets that are not live}``.

    Starts from the owner's non-live assets (the owner/status index), which are few.
    """
    return dict(
        link_model.objects.filter(
            asset__owner=owner,
            asset__status__in=[s for s in Asset.Status.values if s != Asset.Status.READY],
        )
        .order_by()
        .values_list(column)
        .annotate(n=Count("pk"))
        .values_list(column, "n")
    )


def tag_list(*, owner, limit: int = 40) -> list[Tag]:
    """The owner's most used tags (with ``n``, the number of live assets carrying each).

    Counted as every link of the tag less the links of trashed assets: the first count
    reads the tag index alone and the second starts from the few trashed assets, where
    counting live links directly looks up the asset of every link (three times the cost
    at 5,000 assets, and it grows with the library).

    Only the first ``limit`` + (tags with trashed links) by total are read: at least
    ``limit`` of those keep their total, and every tag after them has no more, so the
    top ``limit`` by live count are among them.
    """
    trashed = _trashed_counts(AssetTag, "tag_id", owner=owner)
    tags = list(
        Tag.objects.filter(owner=owner)
        .annotate(total=Count("asset_tags"))
        .filter(total__gt=0)
        .order_by("-total", "name")[: limit + len(trashed)]
    )
    for tag in tags:
        tag.n = tag.total - trashed.get(tag.pk, 0)
    return sorted((t for t in tags if t.n > 0), key=lambda t: (-t.n, t.name))[:limit]


def collection_list(*, owner, covers: bool = True) -> list[Collection]:
    """The owner's collections with ``n`` (live assets), and the cover preloaded unless
    ``covers`` is False (a list of names needs none of the cover's columns).

    Counted like the tags (``tag_list``): every item of a collection (its index alone)
    less the items that are trashed, found from the few trashed assets. Counting live
    items directly looks up the asset of every item; a GROUP BY would also carry every
    column of the preloaded cover through the sort.
    """
    items = (
        CollectionItem.objects.filter(collection=OuterRef("pk"))
        .order_by()
        .values("collection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    collections = Collection.objects.filter(owner=owner).annotate(
        total=Coalesce(Subquery(items), 0)
    )
    if covers:
        collections = collections.select_related("cover")
    else:
        collections = collections.only("public_id", "name")
    collections = list(collections.order_by("name", "id"))
    trashed = _trashed_counts(CollectionItem, "collection_id", owner=owner)
    for collection in collections:
        collection.n = collection.total - trashed.get(collection.pk, 0)
    return collections


def collection_options(*, owner, asset: Asset | None = None) -> list[Collection]:
    """The owner's collections by name, for a picker (no counts, no covers); with
    ``asset``, each says in ``holds`` whether the asset is in it (one query for the
    image page's chips and its picker)."""
    qs = Collection.objects.filter(owner=owner).only("public_id", "name").order_by("name", "id")
    if asset is not None:
        qs = qs.annotate(
            holds=Exists(CollectionItem.objects.filter(collection=OuterRef("pk"), asset=asset))
        )
    return list(qs)


def collection_get_for_owner(*, owner, public_id) -> Collection:
    return get_object_or_404(Collection, owner=owner, public_id=public_id)


# --------------------------------------------------------------------------- share links


def share_list(*, owner) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(owner=owner).select_related("collection", "asset")


def share_get_for_owner(*, owner, public_id) -> ShareLink:
    return get_object_or_404(ShareLink, owner=owner, public_id=public_id)


def share_get_public(*, token: str) -> ShareLink:
    """The live share link with this token; Http404 when unknown, revoked or expired."""
    share = (
        ShareLink.objects.select_related("collection", "asset")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if share is None or share.is_expired:
        raise Http404("This link does not exist or is no longer shared.")
    return share


def share_assets(*, share: ShareLink) -> QuerySet[Asset]:
    """What a share board shows: live assets of the shared collection (or the one asset),
    always of the link's owner."""
    qs = Asset.objects.filter(owner_id=share.owner_id, status=Asset.Status.READY)
    if share.asset_id:
        return qs.filter(pk=share.asset_id)
    return qs.filter(
        Exists(
            CollectionItem.objects.filter(collection_id=share.collection_id, asset=OuterRef("pk"))
        )
    ).order_by("-created_at", "-id")


def share_asset_get(*, share: ShareLink, public_id) -> Asset:
    return get_object_or_404(share_assets(share=share), public_id=public_id)
