"""Writes to the asset library. Files go through Django's storage API only."""

from __future__ import annotations

import io
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from . import media, tagging
from . import tasks as _tasks
from .imaging import (
    RENDITION_SPECS,
    UPLOAD_RENDITION,
    make_rendition,
    make_thumbnail,
    make_thumbnail_and_tile,
    sha256_of,
)
from .library_cache import library_changed
from .models import (
    Asset,
    AssetPalette,
    AssetTag,
    Collection,
    CollectionItem,
    Rendition,
    SearchTerm,
    ShareLink,
    Tag,
    TemporaryLink,
    UsageEvent,
)
from .validation import inspect_audio, inspect_image

logger = logging.getLogger(__name__)


def _attach_thumbnail(asset: Asset, img: Image.Image) -> None:
    data, _, _ = make_thumbnail(img)
    asset.thumbnail.save("thumb.webp", ContentFile(data), save=False)


def _attach_thumbnail_and_tile(asset: Asset, img: Image.Image) -> Rendition:
    """Store the thumbnail and the grid tile of a new image, both made from its decoded
    picture (a task would read and decode the file again for the same tile). Returns the
    tile's rendition, its file stored; the caller saves the row with the asset."""
    (thumb, _, _), (tile, width, height) = make_thumbnail_and_tile(img)
    asset.thumbnail.save("thumb.webp", ContentFile(thumb), save=False)
    rendition = Rendition(
        asset=asset, spec=UPLOAD_RENDITION, width=width, height=height, file_size=len(tile)
    )
    rendition.file.save(f"{UPLOAD_RENDITION}.webp", ContentFile(tile), save=False)
    return rendition


def asset_create_from_upload(
    *, owner, uploaded: BinaryIO, filename: str, size: int | None = None, is_mask: bool = False
) -> Asset:
    """Validate an uploaded image and store it as a new library asset (or, with
    ``is_mask``, as a mask that stays out of the library), with its thumbnail, grid tile
    and analysis, all made from the one decode that validated it.

    Raises ``ValidationError`` (nothing stored) when the file is not acceptable.
    """
    info = inspect_image(uploaded, size=size)
    asset = Asset(
        owner=owner,
        kind=Asset.Kind.IMAGE,
        source_module=Asset.UPLOAD,
        original_filename=filename[:255],
        title=filename.rsplit(".", 1)[0][:255],
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        metadata={"format": info.format, "has_alpha": info.has_alpha},
        is_mask=is_mask,
    )
    asset.checksum = sha256_of(uploaded)
    uploaded.seek(0, 2)
    asset.file_size = uploaded.tell()
    uploaded.seek(0)
    asset.file.save(f"upload{info.extension}", File(uploaded), save=False)
    rendition = None
    try:
        rendition = _attach_thumbnail_and_tile(asset, info.image)
        _prepare_analysis(asset, info.image)
        # Every value above is ours or cut to its column, and the owner is a saved user:
        # only the field checks that could fail run (the owner's and the new public id's
        # look-ups would cost two queries and find nothing).
        asset.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
        with transaction.atomic():
            asset.save()
            rendition.save()
            _after_create(asset, info.image, has_grid=True)
    except Exception:
        asset.file.storage.delete(asset.file.name)
        if asset.thumbnail:
            asset.thumbnail.storage.delete(asset.thumbnail.name)
        if rendition is not None:
            rendition.file.storage.delete(rendition.file.name)
        raise
    _library_changed_after(asset.owner_id)
    return asset


def _library_changed_after(owner_id: int) -> None:
    """``library_changed`` once a write is committed (or, inside a caller's transaction,
    as that transaction commits): a single replacement of the version, where a call
    inside the write's own transaction replaces it twice (at once and after the commit).

    The write is done by then, so a cache that fails is logged rather than reported as a
    failed write (as ``library_changed`` does with its own after-commit replacement).
    """
    try:
        library_changed(owner_id)
    except Exception:
        logger.exception("library version of owner %s not replaced", owner_id)


def asset_create_audio(
    *, owner, uploaded: BinaryIO, filename: str, max_seconds: float, max_bytes: int, size=None
) -> Asset:
    """Validate an uploaded recording (type, duration, size, silence) and store it.

    Recordings in other formats are stored as WAV. Raises ``ValidationError`` (nothing
    stored) when the file is not acceptable.
    """
    info = inspect_audio(uploaded, size=size, max_seconds=max_seconds, max_bytes=max_bytes)
    stem = filename.rsplit(".", 1)[0][:200] or "recording"
    asset = asset_create_output(
        owner=owner,
        fh=io.BytesIO(info.data),
        content_type=info.content_type,
        extension=info.extension,
        source_module=Asset.UPLOAD,
        operation="",
        title=stem,
        metadata={"uploaded_as": info.kind},
    )
    asset.original_filename = filename[:255]
    asset.save(update_fields=["original_filename", "updated_at"])
    return asset


def asset_create_output(
    *,
    owner,
    fh: BinaryIO,
    content_type: str,
    extension: str,
    source_module: str,
    operation: str,
    parent: Asset | None = None,
    source_job_id: uuid.UUID | None = None,
    title: str = "",
    prompt: str = "",
    negative_prompt: str = "",
    provider: str = "",
    model: str = "",
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    cost_credits: int = 0,
    generation_ms: int | None = None,
    metadata: dict[str, Any] | None = None,
    is_mask: bool = False,
) -> Asset:
    """Store a produced file as a new asset (with a WebP thumbnail when it is an image).

    Outputs of one job (``source_job_id``) are stacked under the first; a mask
    (``is_mask``) stays out of the library. Returns the saved asset; the caller decides
    the transaction. Files written before a failure are removed again.
    """
    kind = Asset.Kind.IMAGE
    if content_type.startswith("video/"):
        kind = Asset.Kind.VIDEO
    elif content_type.startswith("audio/"):
        kind = Asset.Kind.AUDIO
    elif content_type.startswith("text/"):
        kind = Asset.Kind.TEXT
    elif content_type.startswith("model/"):
        kind = Asset.Kind.MODEL3D
    asset = Asset(
        owner=owner,
        kind=kind,
        source_module=source_module,
        operation=operation,
        parent=parent,
        source_job_id=source_job_id,
        title=title[:255],
        prompt=prompt,
        negative_prompt=negative_prompt,
        provider=provider,
        model=model,
        seed=seed,
        params=params or {},
        content_type=content_type,
        cost_credits=cost_credits,
        generation_ms=generation_ms,
        metadata=dict(metadata or {}),
        is_mask=is_mask,
    )
    asset.checksum = sha256_of(fh)
    fh.seek(0, 2)
    asset.file_size = fh.tell()
    fh.seek(0)
    extension = extension.lstrip(".").lower() or "bin"
    asset.file.save(f"output.{extension}", File(fh), save=False)
    img = None
    try:
        if kind == Asset.Kind.IMAGE:
            fh.seek(0)
            img = Image.open(fh)  # read in place: an output can be tens of MB
            img.load()
            asset.width, asset.height = img.size
            asset.metadata.setdefault("format", img.format)
            asset.metadata.setdefault(
                "has_alpha",
                img.mode in ("RGBA", "LA", "PA")
                or (img.mode == "P" and "transparency" in img.info),
            )
            _attach_thumbnail(asset, img)
            _prepare_analysis(asset, img)
        else:
            _describe_media(asset, fh)
        asset.full_clean()
        with transaction.atomic():
            asset.save()
            if source_job_id is not None and not is_mask:
                _stack_job_output(asset)
            _after_create(asset, img)
            library_changed(asset.owner_id)
    except Exception:
        asset.file.storage.delete(asset.file.name)
        if asset.thumbnail:
            asset.thumbnail.storage.delete(asset.thumbnail.name)
        raise
    return asset


def _stack_job_output(asset: Asset) -> None:
    """Put a job's second and later outputs under its first, so the library shows one
    tile per job; the cover's ``stack_size`` (and ``updated_at``, which keys its cached
    tile) follow."""
    cover = (
        Asset.objects.select_for_update()
        .filter(
            owner_id=asset.owner_id,
            source_job_id=asset.source_job_id,
            stacked_under__isnull=True,
            is_mask=False,
        )
        .exclude(pk=asset.pk)
        .order_by("created_at", "id")
        .first()
    )
    if cover is None:
        return
    asset.stacked_under = cover
    asset.save(update_fields=["stacked_under"])
    Asset.objects.filter(pk=cover.pk).update(
        stack_size=F("stack_size") + 1, updated_at=timezone.now()
    )


def asset_update_analysis(
    *, asset: Asset, palette: list | None = None, focal_point: dict | None = None
) -> Asset:
    """Store analysis results (palette, focal point) on an asset."""
    fields = []
    if palette is not None:
        asset.palette = palette
        fields.append("palette")
    if focal_point is not None:
        asset.focal_point = focal_point
        fields.append("focal_point")
    if fields:
        with transaction.atomic():
            asset.save(update_fields=[*fields, "updated_at"])
            if palette is not None:
                asset_auto_tag(asset=asset)
            library_changed(asset.owner_id)
    return asset


# --------------------------------------------------------------------------- palettes

PALETTE_NAME_MAX = 80


def _palette_default_name(*, asset: Asset, mode: str, count: int) -> str:
    """The name a palette gets when none is given: "Muted · 6 colours", or "Palette 3"
    without a mode; "(2)", "(3)"… are added when the image already has one so named."""
    if mode:
        base = f"{AssetPalette.Mode(mode).label} · {count} colour{'' if count == 1 else 's'}"
    else:
        base = f"Palette {asset.palettes.count() + 1}"
    taken = set(asset.palettes.values_list("name", flat=True))
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    return name


def asset_palette_add(
    *, asset: Asset, colours: list, mode: str = "", name: str = ""
) -> AssetPalette:
    """Keep a new named palette with the image; earlier palettes stay.

    ``Asset.palette`` follows the newest palette (tags, search and the apply palette form
    read it there).
    """
    mode = mode if mode in AssetPalette.Mode.values else ""
    colours = list(colours)
    with transaction.atomic():
        name = name.strip()[:PALETTE_NAME_MAX] or _palette_default_name(
            asset=asset, mode=mode, count=len(colours)
        )
        palette = AssetPalette.objects.create(asset=asset, name=name, mode=mode, colours=colours)
        asset_update_analysis(asset=asset, palette=colours)
    return palette


def asset_palette_rename(*, palette: AssetPalette, name: str) -> AssetPalette:
    name = name.strip()
    if not name:
        raise ValidationError("A palette needs a name.")
    palette.name = name[:PALETTE_NAME_MAX]
    palette.save(update_fields=["name"])
    library_changed(palette.asset.owner_id)
    return palette


def asset_palette_delete(*, palette: AssetPalette) -> None:
    """Delete one saved palette. When it was the newest, ``Asset.palette`` moves to the
    next newest; when none are left it keeps its colours (the image's colours stay known
    to tags and search)."""
    asset = palette.asset
    with transaction.atomic():
        was_latest = asset.palettes.values_list("pk", flat=True).first() == palette.pk
        palette.delete()
        if was_latest:
            latest = asset.palettes.first()
            if latest is not None:
                asset_update_analysis(asset=asset, palette=latest.colours)
        library_changed(asset.owner_id)


# --------------------------------------------------------------------------- analysis


def _describe_media(asset: Asset, fh: BinaryIO) -> None:
    """Size, duration and a thumbnail (poster frame, waveform, 3D render) for media."""
    info = media.describe(asset.kind, fh)
    if info is None:
        return
    asset.width = info.width or asset.width
    asset.height = info.height or asset.height
    if info.duration:
        asset.duration_seconds = round(info.duration, 3)
    asset.metadata.update(info.metadata)
    if info.thumbnail is not None:
        _attach_thumbnail(asset, info.thumbnail)


def _prepare_analysis(asset: Asset, img: Image.Image) -> None:
    """Fill what a fresh image asset can know about itself before its first save."""
    if not asset.palette:
        try:
            asset.palette = tagging.quick_palette(img)
        except (OSError, ValueError):
            logger.warning("no quick palette for asset %s", asset.public_id, exc_info=True)
    asset.metadata["transparent"] = tagging.has_transparent_background(img)


def _after_create(asset: Asset, img: Image.Image | None, *, has_grid: bool = False) -> None:
    """Tag a saved new asset and, for an image made without its grid tile, queue it.

    Runs inside the caller's transaction; the caller reports the library change.
    """
    _auto_tag_new(asset, img)
    if asset.kind == Asset.Kind.IMAGE and not has_grid:
        _tasks.rendition_create_task.delay_on_commit(asset.pk, UPLOAD_RENDITION)


# --------------------------------------------------------------------------- search


def asset_search_reindex(*, asset_ids: Iterable[int]) -> int:
    """Rebuild the stored full-text document of these assets; returns rows updated.

    Only PostgreSQL keeps one; on other databases search reads the columns directly and
    this does nothing.
    """
    ids = list(asset_ids)
    if not ids:
        return 0
    search_terms_add(asset_ids=ids)
    return _search_vectors_update(ids)


def _search_vectors_update(ids: list[int]) -> int:
    """The stored full-text document part of ``asset_search_reindex``."""
    if connection.vendor != "postgresql":
        return 0
    tag_names = Subquery(
        AssetTag.objects.filter(asset=OuterRef("pk"))
        .order_by()
        .values("asset")
        .annotate(names=StringAgg("tag__name", " "))
        .values("names")[:1]
    )
    document = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("prompt", weight="B", config="english")
        + SearchVector(
            Coalesce(tag_names, Value(""), output_field=TextField()), weight="C", config="english"
        )
        + SearchVector("model", "provider", weight="D", config="english")
    )
    return Asset.objects.filter(pk__in=ids).update(search_vector=document)


SEARCH_WORD = re.compile(r"[^\W\d_]{3,40}")


def search_terms_add(*, asset_ids: Iterable[int]) -> int:
    """Add the words of these assets' titles, prompts and tags to their owners' search
    vocabulary (what a misspelt search is corrected against); returns the words offered."""
    words: set[tuple[int, str]] = set()
    rows = Asset.objects.filter(pk__in=list(asset_ids)).values_list("owner_id", "title", "prompt")
    tags = AssetTag.objects.filter(asset_id__in=list(asset_ids)).values_list(
        "tag__owner_id", "tag__name"
    )
    for owner_id, *texts in [*rows, *tags]:
        for text in texts:
            words.update((owner_id, w.lower()) for w in SEARCH_WORD.findall(text or ""))
    return _search_terms_store(words)


def _search_terms_store(words: set[tuple[int, str]]) -> int:
    """Add (owner id, word) pairs to the search vocabulary; returns the pairs offered."""
    SearchTerm.objects.bulk_create(
        [SearchTerm(owner_id=o, word=w) for o, w in sorted(words)],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return len(words)


# --------------------------------------------------------------------------- simple edits


def asset_rename(*, asset: Asset, title: str) -> Asset:
    asset.title = title.strip()[:255]
    asset.full_clean(exclude=["file", "thumbnail"])
    with transaction.atomic():
        asset.save(update_fields=["title", "updated_at"])
        asset_search_reindex(asset_ids=[asset.pk])
        library_changed(asset.owner_id)
    return asset


def assets_favourite_set(*, owner, asset_ids: Iterable[int], value: bool) -> int:
    """Mark the owner's assets as favourites (or not); returns how many rows changed."""
    changed = Asset.objects.filter(owner=owner, pk__in=list(asset_ids)).update(
        is_favourite=value, updated_at=timezone.now()
    )
    library_changed(owner.pk)
    return changed


# --------------------------------------------------------------------------- tags

_TAG_SPACES = re.compile(r"\s+")


def tag_normalise(name: str) -> str:
    """Lower-case, single-spaced, at most 48 characters; ``""`` when nothing is left."""
    return _TAG_SPACES.sub(" ", name.strip().lower().lstrip("#"))[:48].strip()


def tag_names_parse(raw: str) -> list[str]:
    """Split what a user typed ("sunset, beach  #summer") into normalised tag names."""
    parts = re.split(r"[,\n]", raw)
    names = [tag_normalise(p) for p in parts]
    return list(dict.fromkeys(n for n in names if n))


def _tags_get_or_create(*, owner, names: Iterable[str]) -> list[Tag]:
    """The owner's tags named ``names``, made when missing (ordered by name).

    Most names are tags the owner already has (automatic tags repeat on every upload), so
    they are looked up first: one query, and two more only when some are new.
    """
    names = list(dict.fromkeys(names))
    if not names:
        return []
    owner_id = getattr(owner, "pk", owner)
    tags = list(Tag.objects.filter(owner_id=owner_id, name__in=names))
    if len(tags) == len(names):
        return tags
    found = {t.name for t in tags}
    Tag.objects.bulk_create(
        [Tag(owner_id=owner_id, name=n) for n in names if n not in found],
        ignore_conflicts=True,
        batch_size=500,
    )
    return list(Tag.objects.filter(owner_id=owner_id, name__in=names))


def assets_tag(
    *, owner, asset_ids: Iterable[int], names: Iterable[str], source: str = AssetTag.Source.MANUAL
) -> int:
    """Attach the tags ``names`` to the owner's assets; returns how many links were new.

    A manual tag on an asset that already has it automatically is upgraded to manual, so
    a later re-tagging can't take it away.
    """
    names = [n for n in (tag_normalise(n) for n in names) if n]
    ids = list(
        Asset.objects.filter(owner=owner, pk__in=list(asset_ids)).values_list("pk", flat=True)
    )
    if not names or not ids:
        return 0
    with transaction.atomic():
        tags = _tags_get_or_create(owner=owner, names=names)
        before = AssetTag.objects.filter(asset_id__in=ids, tag__in=tags).count()
        AssetTag.objects.bulk_create(
            [AssetTag(asset_id=a, tag=t, source=source) for a in ids for t in tags],
            ignore_conflicts=True,
            batch_size=1000,
        )
        if source == AssetTag.Source.MANUAL:
            AssetTag.objects.filter(asset_id__in=ids, tag__in=tags).update(source=source)
            # A tag the user removed once and now adds back by hand is theirs again.
            for asset in Asset.objects.filter(pk__in=ids, metadata__has_key="removed_auto_tags"):
                removed = [n for n in asset.metadata["removed_auto_tags"] if n not in names]
                asset.metadata["removed_auto_tags"] = removed
                asset.save(update_fields=["metadata"])
        after = AssetTag.objects.filter(asset_id__in=ids, tag__in=tags).count()
        asset_search_reindex(asset_ids=ids)
        library_changed(owner.pk)
    return after - before


def asset_tag_remove(*, asset: Asset, name: str) -> bool:
    """Take the tag ``name`` off ``asset``; returns whether it had it.

    Removing an automatic tag is remembered, so the next automatic tagging of the asset
    does not put the wrong tag back.
    """
    name = tag_normalise(name)
    with transaction.atomic():
        link = AssetTag.objects.select_related("tag").filter(asset=asset, tag__name=name).first()
        if link is None:
            return False
        link.delete()
        if link.source == AssetTag.Source.AUTO:
            removed = list(asset.metadata.get("removed_auto_tags", []))
            if name not in removed:
                removed.append(name)
            asset.metadata["removed_auto_tags"] = removed
            asset.save(update_fields=["metadata", "updated_at"])
        asset_search_reindex(asset_ids=[asset.pk])
        library_changed(asset.owner_id)
    return True


def asset_auto_tag(*, asset: Asset, img: Image.Image | None = None) -> list[str]:
    """Recompute the automatic tags of ``asset``; returns the names now attached.

    Manual tags are never touched; automatic ones that no longer apply are dropped and
    ones the user removed stay removed.
    """
    removed = set(asset.metadata.get("removed_auto_tags", []))
    wanted = [n for n in tagging.auto_tags(asset, img=img) if n not in removed]
    with transaction.atomic():
        AssetTag.objects.filter(asset=asset, source=AssetTag.Source.AUTO).exclude(
            tag__name__in=wanted
        ).delete()
        tags = _tags_get_or_create(owner=asset.owner, names=wanted)
        AssetTag.objects.bulk_create(
            [AssetTag(asset=asset, tag=t, source=AssetTag.Source.AUTO) for t in tags],
            ignore_conflicts=True,
        )
        asset_search_reindex(asset_ids=[asset.pk])
        library_changed(asset.owner_id)
    return wanted


def _auto_tag_new(asset: Asset, img: Image.Image | None) -> list[str]:
    """``asset_auto_tag`` of an asset saved just now, in the caller's transaction.

    A new asset has no tags to drop yet, and its search words are its title, prompt and
    the tags attached here, all at hand: the same rows as ``asset_auto_tag`` writes, in
    about half the queries. The caller reports the library change.
    """
    removed = set(asset.metadata.get("removed_auto_tags", []))
    wanted = [n for n in tagging.auto_tags(asset, img=img) if n not in removed]
    tags = _tags_get_or_create(owner=asset.owner_id, names=wanted)
    AssetTag.objects.bulk_create(
        [AssetTag(asset=asset, tag=t, source=AssetTag.Source.AUTO) for t in tags],
        ignore_conflicts=True,
    )
    texts = [asset.title, asset.prompt, *(t.name for t in tags)]
    _search_terms_store(
        {(asset.owner_id, w.lower()) for text in texts for w in SEARCH_WORD.findall(text or "")}
    )
    _search_vectors_update([asset.pk])
    return wanted


# --------------------------------------------------------------------------- collections


def collection_create(*, owner, name: str, description: str = "") -> Collection:
    collection = Collection(owner=owner, name=name.strip(), description=description.strip())
    collection.full_clean()
    collection.save()
    library_changed(collection.owner_id)
    return collection


def collection_update(
    *,
    collection: Collection,
    name: str | None = None,
    description: str | None = None,
    cover_id: int | None | bool = False,
) -> Collection:
    """Rename, describe or set the cover (``cover_id=None`` clears it; ``False`` leaves it)."""
    fields = ["updated_at"]
    if name is not None:
        collection.name = name.strip()
        fields.append("name")
    if description is not None:
        collection.description = description.strip()
        fields.append("description")
    if cover_id is not False:
        if (
            cover_id is not None
            and not Asset.objects.filter(pk=cover_id, owner_id=collection.owner_id).exists()
        ):
            raise ValidationError({"cover": "Choose one of your own images as the cover."})
        collection.cover_id = cover_id
        fields.append("cover")
    collection.full_clean()
    collection.save(update_fields=fields)
    library_changed(collection.owner_id)
    return collection


def collection_delete(*, collection: Collection) -> None:
    """Delete a collection (its assets stay in the library; its share links go with it)."""
    owner_id = collection.owner_id
    collection.delete()
    library_changed(owner_id)


def collection_add_assets(*, collection: Collection, asset_ids: Iterable[int]) -> int:
    """Add the collection owner's assets to it; returns how many were not in it yet."""
    wanted = list(dict.fromkeys(asset_ids))
    valid = set(
        Asset.objects.filter(owner_id=collection.owner_id, pk__in=wanted).values_list(
            "pk", flat=True
        )
    )
    ids = [a for a in wanted if a in valid]  # keep the caller's order: the first is the cover
    with transaction.atomic():
        existing = set(
            CollectionItem.objects.filter(collection=collection, asset_id__in=ids).values_list(
                "asset_id", flat=True
            )
        )
        new = [a for a in ids if a not in existing]
        CollectionItem.objects.bulk_create(
            [CollectionItem(collection=collection, asset_id=a) for a in new],
            ignore_conflicts=True,
            batch_size=1000,
        )
        if collection.cover_id is None and ids:
            collection.cover_id = ids[0]
            collection.save(update_fields=["cover", "updated_at"])
        else:
            Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
        library_changed(collection.owner_id)
    return len(new)


def collection_remove_assets(*, collection: Collection, asset_ids: Iterable[int]) -> int:
    ids = list(asset_ids)
    with transaction.atomic():
        removed, _ = CollectionItem.objects.filter(collection=collection, asset_id__in=ids).delete()
        if collection.cover_id in ids:
            collection.cover_id = (
                CollectionItem.objects.filter(collection=collection)
                .values_list("asset_id", flat=True)
                .first()
            )
            collection.save(update_fields=["cover", "updated_at"])
        library_changed(collection.owner_id)
    return removed


# --------------------------------------------------------------------------- trash


def assets_trash(*, owner, asset_ids: Iterable[int]) -> int:
    """Move the owner's assets to the trash. Tags, collections and lineage stay intact."""
    moved = Asset.objects.filter(
        owner=owner, pk__in=list(asset_ids), status=Asset.Status.READY
    ).update(status=Asset.Status.TRASHED, trashed_at=timezone.now(), updated_at=timezone.now())
    library_changed(owner.pk)
    return moved


def assets_restore(*, owner, asset_ids: Iterable[int]) -> int:
    restored = Asset.objects.filter(
        owner=owner, pk__in=list(asset_ids), status=Asset.Status.TRASHED
    ).update(status=Asset.Status.READY, trashed_at=None, updated_at=timezone.now())
    library_changed(owner.pk)
    return restored


def _purge(assets) -> int:
    """Delete these asset rows now and their files (originals, thumbnails, renditions)
    once the deletion is committed. Returns the number of assets deleted."""
    assets = list(assets.select_for_update().only("pk", "owner_id", "file", "thumbnail"))
    if not assets:
        return 0
    ids = [a.pk for a in assets]
    names = [f.name for a in assets for f in (a.file, a.thumbnail) if f]
    names += [
        n for n in Rendition.objects.filter(asset_id__in=ids).values_list("file", flat=True) if n
    ]
    Asset.objects.filter(pk__in=ids).delete()
    for owner_id in {a.owner_id for a in assets}:
        library_changed(owner_id)
    # Only after commit: a rolled-back purge must not have lost the files.
    _tasks.files_delete_task.delay_on_commit(names)
    return len(ids)


def trash_empty(*, owner, asset_ids: Iterable[int] | None = None) -> int:
    """Delete the owner's trashed assets for good (all, or just ``asset_ids``)."""
    qs = Asset.objects.filter(owner=owner, status=Asset.Status.TRASHED)
    if asset_ids is not None:
        qs = qs.filter(pk__in=list(asset_ids))
    with transaction.atomic():
        return _purge(qs)


def trash_purge_expired(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Delete every asset that has been in the trash longer than the retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TRASH_RETENTION_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            batch = Asset.objects.filter(
                pk__in=Subquery(
                    Asset.objects.filter(status=Asset.Status.TRASHED, trashed_at__lt=cutoff).values(
                        "pk"
                    )[:batch_size]
                )
            )
            deleted = _purge(batch)
        total += deleted
        if deleted < batch_size:
            return total


def files_delete(*, names: Iterable[str]) -> int:
    """Delete stored files by name; returns how many were there. Missing ones are fine."""
    deleted = 0
    for name in names:
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
                deleted += 1
        except OSError:
            logger.warning("could not delete %s", name, exc_info=True)
    return deleted


# --------------------------------------------------------------------------- renditions


def rendition_get_or_create(*, asset_id: int, spec: str) -> Rendition | None:
    """Return the ``spec`` rendition of an image asset, making it once if it is missing.

    Returns ``None`` for assets that are not images or whose file can't be decoded. Safe
    to run twice at once: the (asset, spec) constraint lets only one row win, and the
    loser's file is removed again.
    """
    if spec not in RENDITION_SPECS:
        raise ValueError(f"unknown rendition spec {spec!r}")
    existing = Rendition.objects.filter(asset_id=asset_id, spec=spec).first()
    if existing:
        return existing
    asset = Asset.objects.filter(pk=asset_id, kind=Asset.Kind.IMAGE).first()
    if asset is None:
        return None
    try:
        with asset.file.open("rb") as fh:
            data, width, height = make_rendition(fh, spec=spec, focal_point=asset.focal_point)
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("no %s rendition for asset %s", spec, asset.public_id, exc_info=True)
        return None
    candidate = Rendition(asset=asset, spec=spec, width=width, height=height, file_size=len(data))
    candidate.file.save(f"{spec}.webp", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            rendition, created = Rendition.objects.get_or_create(
                asset=asset,
                spec=spec,
                defaults={
                    "file": candidate.file.name,
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                },
            )
    except Exception:
        candidate.file.storage.delete(candidate.file.name)
        raise
    if not created:
        candidate.file.storage.delete(candidate.file.name)
    return rendition


# --------------------------------------------------------------------------- usage


def usage_record(
    *,
    asset_ids: Iterable[int],
    kind: str,
    share_id: int | None = None,
    context: str = "",
) -> int:
    """Record one usage event per asset and bump their "most used" counters."""
    ids = list(asset_ids)
    if kind not in UsageEvent.Kind.values:
        raise ValueError(f"unknown usage kind {kind!r}")
    if not ids:
        return 0
    with transaction.atomic():
        UsageEvent.objects.bulk_create(
            [
                UsageEvent(asset_id=a, kind=kind, share_id=share_id, context=context[:120])
                for a in ids
            ],
            batch_size=1000,
        )
        Asset.objects.filter(pk__in=ids).update(usage_count=F("usage_count") + 1)
    return len(ids)


def asset_export_record(*, asset_id: int, target: str) -> None:
    """Note that an asset was exported somewhere (a platform, a batch, a ZIP)."""
    usage_record(asset_ids=[asset_id], kind=UsageEvent.Kind.EXPORT, context=target)


# --------------------------------------------------------------------------- share links


def share_create(
    *,
    owner,
    collection: Collection | None = None,
    asset: Asset | None = None,
    title: str = "",
    expires_at: datetime | None = None,
    password: str = "",
    allow_download: bool = False,
    show_details: bool = False,
) -> ShareLink:
    """Create a public link to one of the owner's collections or assets."""
    if (collection is None) == (asset is None):
        raise ValidationError("Share either a collection or one asset.")
    target = collection or asset
    if target.owner_id != owner.pk:
        raise ValidationError("You can only share your own things.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose a time in the future."})
    share = ShareLink(
        owner=owner,
        collection=collection,
        asset=asset,
        token=secrets.token_urlsafe(24),
        title=title.strip()[:120],
        expires_at=expires_at,
        password=make_password(password) if password else "",
        allow_download=allow_download,
        show_details=show_details,
    )
    share.full_clean()
    share.save()
    library_changed(owner.pk)
    return share


def share_revoke(*, share: ShareLink) -> ShareLink:
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        library_changed(share.owner_id)
    return share


def share_password_ok(*, share: ShareLink, password: str) -> bool:
    return bool(share.password) and check_password(password, share.password)


def share_record_view(*, share: ShareLink, asset_id: int | None = None) -> None:
    """Count a view of the board (and of one asset on it, when given)."""
    ShareLink.objects.filter(pk=share.pk).update(view_count=F("view_count") + 1)
    if asset_id is not None:
        usage_record(asset_ids=[asset_id], kind=UsageEvent.Kind.SHARE_VIEW, share_id=share.pk)


def share_record_download(*, share: ShareLink, asset_id: int) -> None:
    ShareLink.objects.filter(pk=share.pk).update(download_count=F("download_count") + 1)
    usage_record(asset_ids=[asset_id], kind=UsageEvent.Kind.SHARE_DOWNLOAD, share_id=share.pk)


# --------------------------------------------------------------------------- temporary links

TEMP_LINK_SALT = "assets.temporary-link"


def temp_link_max_seconds() -> int:
    """The longest any signed link may live: ``SIGNED_URL_MAX_AGE`` (at least a minute)."""
    return max(60, settings.SIGNED_URL_MAX_AGE)


def temp_link_create(*, asset: Asset, seconds: int) -> str:
    """A signed path under ``/s/t/`` to the asset's file that stops working after
    ``seconds`` (capped at ``SIGNED_URL_MAX_AGE``) or when revoked.

    Every storage goes through the app's own path, so a link can be revoked; on
    S3-compatible storage that path answers with a short-lived presigned URL.
    """
    seconds = max(60, min(int(seconds), temp_link_max_seconds()))
    link = TemporaryLink.objects.create(
        asset=asset, expires_at=timezone.now() + timedelta(seconds=seconds)
    )
    library_changed(asset.owner_id)
    value = signing.TimestampSigner(salt=TEMP_LINK_SALT).sign_object(
        {"l": link.public_id.hex, "e": int(link.expires_at.timestamp())}
    )
    return reverse("share:temporary", args=[value])


def temp_link_resolve(*, value: str) -> Asset | None:
    """The live asset a temporary link points to, or ``None`` if it is forged, expired,
    revoked or older than ``SIGNED_URL_MAX_AGE``."""
    try:
        payload = signing.TimestampSigner(salt=TEMP_LINK_SALT).unsign_object(
            value, max_age=temp_link_max_seconds()
        )
        link_id = uuid.UUID(payload["l"])
        expires = int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    now = timezone.now()
    if expires < now.timestamp():
        return None
    link = (
        TemporaryLink.objects.select_related("asset")
        .filter(public_id=link_id, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None or link.asset.status != Asset.Status.READY:
        return None
    return link.asset


def temp_links_live(*, asset: Asset):
    """The asset's temporary links that still work, newest first."""
    return TemporaryLink.objects.filter(
        asset=asset, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def temp_link_revoke(*, asset: Asset, link_id) -> bool:
    """Stop one of the asset's temporary links; ``False`` when there was no such live link."""
    revoked = TemporaryLink.objects.filter(
        asset=asset, public_id=link_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        library_changed(asset.owner_id)
    return bool(revoked)
