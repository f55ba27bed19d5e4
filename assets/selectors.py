"""Reads of the asset library, always scoped to an owner."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Asset


def asset_list(*, owner) -> QuerySet[Asset]:
    return Asset.objects.filter(owner=owner, status=Asset.Status.READY)


def asset_get_for_owner(*, owner, public_id, include_trashed: bool = False) -> Asset:
    """Return the owner's asset with this public id, or raise Http404 (also for others' ids)."""
    qs = Asset.objects.filter(owner=owner)
    if not include_trashed:
        qs = qs.filter(status=Asset.Status.READY)
    return get_object_or_404(qs.select_related("parent"), public_id=public_id)


def asset_lineage(*, asset: Asset) -> list[Asset]:
    """Ancestors from the root down to ``asset``'s parent (the version trail)."""
    chain = []
    current = asset.parent
    seen = {asset.pk}
    while current is not None and current.pk not in seen and len(chain) < 50:
        chain.append(current)
        seen.add(current.pk)
        current = current.parent
    return list(reversed(chain))
