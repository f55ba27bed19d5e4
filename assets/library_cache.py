"""What the library shows beside its grid, cached per owner behind a "library version".

The sidebar (collections and tags with their live counts) and the plain library's item
count are the same on every library page until the owner's library changes, but cost
several queries each time. They are cached under the owner's current version, a random
token that every write service replaces (``library_changed``), so a cached value is
never read again once a write made through the services has changed what it shows.

Replacing the token rather than incrementing a number keeps that true on caches whose
``incr`` is not atomic (the file-based cache of a bare checkout): two writers racing can
only leave one of two fresh tokens, never an old one. A version is never reused either, so
a version key that was evicted comes back as a new token, not as one whose values may
still be cached.

Writes made around the services (the admin, a raw UPDATE) are not seen until the next
write or ``DATA_TTL``, whichever comes first.

A key names one value at one version and never changes meaning, so each process keeps the
values it used last in front of the shared cache (``LocalCache``, for ``DATA_TTL`` too): a
page then reads only the version from the shared cache.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from .selectors import (
    PAGE_SIZE,
    SORTS,
    KeysetPage,
    LibraryFilters,
    NewestMonths,
    collection_list,
    keyset_page,
    library_count,
    tag_list,
)

# A version only needs to outlive the values cached under it.
VERSION_TTL = 7 * 24 * 3600
# Bounds how long a write made around the services can go unseen.
DATA_TTL = 15 * 60
# Bumped whenever the shape of a cached value changes, so a deploy never reads old ones.
SCHEMA = 1


class LocalCache:
    """A small per-process LRU of values whose keys never change meaning (a tile's
    version, a library version), so a local copy can never be stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        with self.lock:
            found = {k: self.data[k] for k in keys if k in self.data}
            for k in found:
                self.data.move_to_end(k)
        return found

    def set_many(self, items: dict[str, Any]) -> None:
        with self.lock:
            self.data.update(items)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


# Sidebars, counts, link lists and page fragments: a few KB each.
local_values = LocalCache(size=3000)


def _version_key(owner_id: int) -> str:
    return f"library:{SCHEMA}:version:{owner_id}"


def _new_version() -> str:
    return secrets.token_hex(8)


def library_changed(owner_id: int) -> None:
    """Retire ``owner_id``'s cached library values; call it from every write service.

    The version is replaced at once (so the rest of this transaction, and a test run
    inside one, reads fresh values) and again after the commit: a reader that took the
    new version while the write was not yet visible to it may have cached what it saw
    then, and the second replacement retires that too.
    """

    def bump() -> None:
        cache.set(_version_key(owner_id), _new_version(), VERSION_TTL)

    bump()
    if connection.in_atomic_block:
        # Robust: the write is committed by then, and must not be reported as failed.
        transaction.on_commit(bump, robust=True)


class SidebarCollection(NamedTuple):
    pk: int
    public_id: uuid.UUID
    name: str
    n: int
    url: str


class SidebarTag(NamedTuple):
    name: str
    n: int


class ShareOnPage(NamedTuple):
    """A live share link as the image page lists it."""

    url: str
    title: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Sidebar:
    """The library's side panel: collections by name and the most used tags, each with
    ``n``, its number of live items (see ``collection_list`` and ``tag_list``)."""

    collections: tuple[SidebarCollection, ...]
    tags: tuple[SidebarTag, ...]


def _plain(filters: LibraryFilters) -> bool:
    """Whether ``filters`` is the whole library (or the whole trash), in any order."""
    return filters == LibraryFilters(sort=filters.sort, trashed=filters.trashed)


class LibraryState:
    """One owner's cached library values at the version read when this was made (once
    per request: a page reads the version once, then its values)."""

    def __init__(self, owner) -> None:
        self.owner = owner
        key = _version_key(owner.pk)
        version = cache.get(key)
        if version is None:
            # Whichever process adds first wins; everyone then reads the same token.
            cache.add(key, _new_version(), VERSION_TTL)
            version = cache.get(key) or _new_version()
        # The account's creation time too: an id given to another account (a restored
        # or flushed database) must not find the values of the one that had it before.
        joined = owner.date_joined.timestamp() if getattr(owner, "date_joined", None) else 0
        self.version = f"{owner.pk}:{joined:.6f}:{version}"

    def key(self, name: str) -> str:
        """The cache key of the value ``name`` at this version (for fragment caches too)."""
        return f"library:{SCHEMA}:{name}:{self.version}"

    def cached(self, key: str, make, *, shared: bool = True):
        """The value cached under ``key`` (from ``key()``), made by ``make()`` and cached
        when neither this process nor (``shared``) the shared cache has it."""
        now = time.monotonic()
        deadline, value = local_values.get_many([key]).get(key, (0.0, None))
        if deadline > now:
            return value
        value = cache.get(key) if shared else None
        if value is None:
            value = make()
            if shared:
                cache.set(key, value, DATA_TTL)
        # As long as the shared copy at most: the TTL also bounds what a write around
        # the services leaves unseen.
        local_values.set_many({key: (now + DATA_TTL, value)})
        return value

    def sidebar(self) -> Sidebar:
        return self.cached(self.key("sidebar"), self._sidebar)

    def _sidebar(self) -> Sidebar:
        collections = tuple(
            SidebarCollection(
                pk=c.pk,
                public_id=c.public_id,
                name=c.name,
                n=c.n,
                url=reverse("assets:collection", args=[c.public_id]),
            )
            for c in collection_list(owner=self.owner, covers=False)
        )
        tags = tuple(SidebarTag(name=t.name, n=t.n) for t in tag_list(owner=self.owner))
        return Sidebar(collections=collections, tags=tags)

    def count(self, qs, *, filters: LibraryFilters) -> int | None:
        """``library_count`` of ``qs``: cached for the whole library and the whole trash,
        counted each time otherwise (where it is None unless the selector learns to
        count filters)."""
        if not _plain(filters):
            return library_count(qs, filters=filters)
        name = "count-trash" if filters.trashed else "count"
        return self.cached(self.key(name), lambda: library_count(qs, filters=filters))


# --------------------------------------------------------------------------- grid rows


@dataclass(slots=True)
class GridRow:
    """What a grid tile's cache key needs of an asset (``tile_key``): the cards of the
    tiles that are not cached are loaded by ``asset_tiles``, in one query."""

    pk: int
    updated_at: datetime
    sort_value: Any


def library_grid_page(
    qs,
    *,
    sort: str = "newest",
    after: str = "",
    before: str = "",
    size: int = PAGE_SIZE,
    months: NewestMonths | None = None,
) -> KeysetPage:
    """``library_page`` of ``qs`` (the same rows, order and cursors) as ``GridRow``s.

    A grid page's tiles are almost always cached, and then a card's two dozen columns
    were loaded into 48 model instances for nothing: this reads three columns instead,
    through the same ``keyset_page``; tests/assets/test_library_cache.py holds the two to
    the same pages.
    """
    column, _ = SORTS.get(sort, SORTS["newest"])
    page = keyset_page(
        qs.values_list("pk", "updated_at", column),
        sort=sort,
        after=after,
        before=before,
        size=size,
        position=lambda row: (row[2], row[0]),
        months=months,
    )
    page.items = [GridRow(pk, updated_at, value) for pk, updated_at, value in page.items]
    return page
