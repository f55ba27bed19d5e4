"""The library grid's tiles, rendered once per asset version and then served from the cache.

A grid page is 48 tiles; rendering each through the template engine cost most of the page's
time. A tile's HTML depends only on the asset's row, so it is cached under the asset's id
and ``updated_at`` (every change that shows on a tile — title, favourite, stack size —
moves ``updated_at``). The two per-request values inside a tile, the CSRF token and the
``next`` URL of the favourite form, are rendered as markers and filled in once per page.
"""

from __future__ import annotations

from django import template
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from ..library_cache import GridRow, LocalCache
from ..models import Asset
from ..selectors import CARD_FIELDS

register = template.Library()

# Bumped whenever the tile template changes, so no stale markup is served after a deploy.
TILE_VERSION = 3
TILE_TTL = 7 * 24 * 3600
# Comments cannot come out of autoescaped user text, so a title can never fake a marker.
CSRF_SLOT = mark_safe("<!--tile-csrf-->")
NEXT_SLOT = mark_safe("<!--tile-next-->")


# A key names one version of a tile, so a local copy can never be stale.
local_tiles = LocalCache(size=5000)


def _cards_of_rows(rows) -> dict[int, Asset]:
    """The cards (``CARD_FIELDS``) of the ``GridRow``s among ``rows``, by id, in one query."""
    ids = [row.pk for row in rows if isinstance(row, GridRow)]
    if not ids:
        return {}
    return {a.pk: a for a in Asset.objects.filter(pk__in=ids).only(*CARD_FIELDS)}


def tile_key(asset, *, selectable: bool, stacks: bool) -> str:
    stamp = asset.updated_at.timestamp() if asset.updated_at else 0
    return f"tile:{TILE_VERSION}:{asset.pk}:{stamp:.6f}:{int(selectable)}{int(stacks)}"


@register.simple_tag(takes_context=True)
def asset_tiles(context, assets, selectable: bool = False, stacks: bool = False) -> SafeString:
    """The cards of ``assets`` as one HTML string (one cache round trip for the page).

    ``assets`` may be ``GridRow``s (``library_grid_page``): the cards of those whose tile
    is not cached are then loaded here, in one query.
    """
    assets = list(assets)
    keys = [tile_key(a, selectable=selectable, stacks=stacks) for a in assets]
    found = local_tiles.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        shared = cache.get_many(missing)
        local_tiles.set_many(shared)
        found |= shared
    cards = _cards_of_rows([a for a, k in zip(assets, keys, strict=True) if k not in found])
    fresh = {}
    card = None
    parts = []
    for asset, key in zip(assets, keys, strict=True):
        html = found.get(key)
        if html is None and isinstance(asset, GridRow):
            asset = cards.get(asset.pk)
            if asset is None:
                continue  # deleted since the page was read
            key = tile_key(asset, selectable=selectable, stacks=stacks)
            html = found.get(key)
        if html is None:
            card = card or get_template("components/asset_card.html")
            html = card.render(
                {
                    "asset": asset,
                    "selectable": selectable,
                    "stacks": stacks,
                    "csrf_slot": CSRF_SLOT,
                    "next_slot": NEXT_SLOT,
                }
            )
            fresh[key] = html
        parts.append(html)
    if fresh:
        cache.set_many(fresh, TILE_TTL)
        local_tiles.set_many(fresh)
    request = context.get("request")
    html = "".join(parts)
    if request is not None:
        # The context's token: inside a cached fragment ({% librarycache %}) that is the
        # fragment's own marker, filled in per request when the fragment is served.
        token = context.get("csrf_token") or get_token(request)
        html = html.replace(CSRF_SLOT, conditional_escape(token))
        html = html.replace(NEXT_SLOT, escape(request.get_full_path()))
    return mark_safe(html)  # noqa: S308 - rendered by the autoescaping template engine
