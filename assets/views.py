from __future__ import annotations

import functools
import re
import uuid
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from imagestudio.htmx import is_fragment
from imagestudio.uploads import refused_message

from . import services
from .archive import zip_stream
from .forms import (
    CollectionForm,
    ExportForm,
    LibraryFilterForm,
    PaletteRenameForm,
    RenameForm,
    ShareForm,
    TagForm,
    TempLinkForm,
    UploadForm,
)
from .imaging import EXPORT_FORMATS, RENDITION_SPECS, convert_image
from .library_cache import LibraryState, ShareOnPage, library_grid_page
from .models import Asset, AssetPalette, UsageEvent
from .ranges import ranged_response
from .selectors import (
    CARD_FIELDS,
    COUNT_CAP,
    PAGE_SIZE,
    SEARCH_MAX_TERMS,
    SORT_LABELS,
    KeysetPage,
    asset_exports,
    asset_get_for_owner,
    asset_share_links,
    asset_tags,
    asset_usage_counts,
    asset_versions,
    assets_by_public_ids,
    assets_in_live_shares,
    collection_get_for_owner,
    collection_list,
    collection_options,
    library_page,
    library_queryset,
    newest_months,
    search_suggestion,
    share_get_for_owner,
    share_list,
)
from .services import asset_create_from_upload

# Rendition and placeholder responses: the URL of a made rendition never changes content.
IMMUTABLE = "private, max-age=31536000, immutable"
TEXT_PREVIEW_BYTES = 20_000


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _toast(request, text: str, *, level: str = "success", status: int = 200) -> HttpResponse:
    """An htmx answer that adds a toast out of band and tells the page the library changed."""
    html = render_to_string("assets/_toast.html", {"text": text, "level": level}, request=request)
    response = HttpResponse(html, status=status)
    return trigger_client_event(response, "library-changed")


def _once(fn):
    """``fn`` as a zero-argument callable that runs it on first use only.

    For what the image page's cached fragments show (``{% librarycache %}``): the template
    calls it when it renders the fragment, and never when the fragment comes from the
    cache, so its queries are skipped too.
    """
    return functools.cache(fn)


# --------------------------------------------------------------------------- library


def _library_context(request, *, trashed: bool = False, collection=None) -> dict:
    form = LibraryFilterForm(request.GET)
    if collection is None and request.GET.get("collection"):
        collection = collection_get_for_owner(
            owner=request.user, public_id=_uuid_or_404(request.GET["collection"])
        )
    filters = form.filters(collection=collection, trashed=trashed)
    search_error = form.search_error
    view_mode = "list" if request.GET.get("view") == "list" else "grid"
    after, before = request.GET.get("after", ""), request.GET.get("before", "")

    def page_of(filters):
        qs = library_queryset(owner=request.user, filters=filters)
        # A search reads its newest months first (the whole index when they hold too few).
        months = newest_months(owner=request.user, filters=filters)
        if view_mode == "list":
            page = library_page(
                qs, sort=filters.sort, after=after, before=before, with_tags=True, months=months
            )
        else:
            # The grid's tiles are cached: read their keys, and cards only for missing ones.
            page = library_grid_page(
                qs, sort=filters.sort, after=after, before=before, months=months
            )
        return qs, page

    corrected_from = ""
    state = LibraryState(request.user)
    if search_error:
        # Refuse the search with its reason; never fall back to the unfiltered library.
        qs, page, count = None, KeysetPage([], None, None, filters.sort), 0
    else:
        qs, page = page_of(filters)
        if filters.q and not page.items and not (after or before):
            # Nothing matched: try the owner's closest words ("astronut" → "astronaut").
            suggestion = search_suggestion(filters.q, owner=request.user)
            if suggestion:
                fixed = replace(filters, q=suggestion)
                fixed_qs, fixed_page = page_of(fixed)
                if fixed_page.items:
                    corrected_from, filters, qs, page = filters.q, fixed, fixed_qs, fixed_page
        # A short page needs no count at all; the whole library's is cached per version.
        count = state.count(qs, filters=filters) if page.has_other_pages else len(page.items)
    params = request.GET.copy()
    for key in ("after", "before"):
        params.pop(key, None)
    if corrected_from:
        params["q"] = filters.q
    return {
        "form": form,
        "filters": filters,
        "page": page,
        "count": None if count is None else min(count, COUNT_CAP),
        "count_capped": count is not None and count > COUNT_CAP,
        "page_size": PAGE_SIZE,
        "search_error": search_error,
        "corrected_from": corrected_from,
        "terms_capped": len(re.findall(r"\w+", filters.q)) > SEARCH_MAX_TERMS,
        "max_terms": SEARCH_MAX_TERMS,
        "stacks": filters.stack is None and not trashed,
        "query": params.urlencode(),
        "view_mode": view_mode,
        "trashed": trashed,
        "collection": collection,
        "sort_labels": SORT_LABELS,
        "base_url": request.path,
        "retention_days": settings.TRASH_RETENTION_DAYS,
        "library_state": state,
    }


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("No such collection") from None


def _render_library(request, context: dict) -> HttpResponse:
    if is_fragment(request):
        response = render(request, "assets/library.html#grid", context)
    else:
        state = context["library_state"]
        sidebar = _once(state.sidebar)
        context |= {
            "upload_form": UploadForm(),
            # Read only when a cached fragment that shows them is rendered.
            "collections": _once(lambda: sidebar().collections),
            "tags": _once(lambda: sidebar().tags),
        }
        response = render(request, "assets/library.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def library(request):
    return _render_library(request, _library_context(request))


@login_required
@require_GET
def trash(request):
    return _render_library(request, _library_context(request, trashed=True))


def _store_upload(request, uploaded) -> tuple[Asset | None, UploadForm]:
    """Validate and store one uploaded file (or none): the new asset or None, and the form
    that carries the errors."""
    form = UploadForm(request.POST, MultiValueDict({"file": [uploaded]} if uploaded else {}))
    if refused := refused_message(request):
        # The upload handler stopped the body while it streamed in: say why.
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", refused)
    elif form.is_valid():
        f = form.cleaned_data["file"]
        try:
            asset = asset_create_from_upload(
                owner=request.user, uploaded=f, filename=f.name, size=f.size
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return asset, form
    return None, form


@login_required
@require_POST
def upload(request):
    """Store uploaded images, one or several, each validated on its own.

    The upload zone's script sends each file in its own request (``Accept:
    application/json``) to show per-file progress and errors. Without the script the
    browser posts every picked file at once: each is stored or refused on its own, a bad
    one never stops the rest, and the page tells which failed and why.
    """
    files = request.FILES.getlist("file")
    if "application/json" in request.headers.get("Accept", ""):
        if len(files) != 1:
            return JsonResponse({"ok": False, "errors": ["Send one file per request."]}, status=400)
        asset, form = _store_upload(request, files[0])
        if asset is None:
            errors = list(form.errors.get("file", []))
            return JsonResponse({"ok": False, "name": files[0].name, "errors": errors}, status=422)
        return JsonResponse(
            {"ok": True, "url": asset.get_absolute_url(), "title": asset.display_title}
        )
    if len(files) > 1:
        stored = 0
        for uploaded in files:
            asset, form = _store_upload(request, uploaded)
            if asset is None:
                for error in form.errors.get("file", []):
                    messages.error(request, f"{uploaded.name}: {error}")
            else:
                stored += 1
        if stored:
            messages.success(request, f"Uploaded {stored} of {len(files)} images.")
        return redirect(_next_url(request, reverse("assets:library")))
    asset, form = _store_upload(request, files[0] if files else None)
    if asset is None:
        if is_fragment(request):
            return render(request, "components/upload_zone.html", {"upload_form": form}, status=422)
        for error in form.errors.get("file", []):
            messages.error(request, error)
        return redirect(_next_url(request, reverse("assets:library")))
    messages.success(request, f"Uploaded {asset.display_title}.")
    if is_fragment(request):
        return HttpResponseClientRedirect(asset.get_absolute_url())
    return redirect(asset)


# --------------------------------------------------------------------------- bulk actions

BULK_ACTIONS = {
    "favourite": "Added to favourites",
    "unfavourite": "Removed from favourites",
    "tag": "Tagged",
    "add_to_collection": "Added to the collection",
    "remove_from_collection": "Removed from the collection",
    "trash": "Moved to the trash",
    "restore": "Restored",
    "delete": "Deleted for good",
}


@login_required
@require_POST
def bulk(request):
    """Apply one action to the selected assets (``ids``: public ids) and go back."""
    action = request.POST.get("action", "")
    back = _next_url(request, reverse("assets:library"))
    in_trash = action in ("restore", "delete")
    statuses = (Asset.Status.TRASHED,) if in_trash else (Asset.Status.READY,)
    ids = assets_by_public_ids(
        owner=request.user, public_ids=request.POST.getlist("ids"), statuses=statuses
    )
    error = ""
    if action not in BULK_ACTIONS:
        error = "Choose what to do with the selection."
    elif not ids:
        error = "Select at least one item first."
    if error:
        if is_fragment(request):
            return _toast(request, error, level="error", status=422)
        messages.error(request, error)
        return redirect(back)

    user = request.user
    done = len(ids)
    if action in ("favourite", "unfavourite"):
        services.assets_favourite_set(owner=user, asset_ids=ids, value=action == "favourite")
    elif action == "tag":
        names = services.tag_names_parse(request.POST.get("tags", ""))
        if not names:
            error = "Type the tags to add."
        else:
            services.assets_tag(owner=user, asset_ids=ids, names=names)
    elif action in ("add_to_collection", "remove_from_collection"):
        collection_id = request.POST.get("collection", "")
        if not collection_id:
            error = "Choose a collection."
        else:
            collection = collection_get_for_owner(owner=user, public_id=_uuid_or_404(collection_id))
            if action == "add_to_collection":
                services.collection_add_assets(collection=collection, asset_ids=ids)
            else:
                services.collection_remove_assets(collection=collection, asset_ids=ids)
    elif action == "trash":
        shared = assets_in_live_shares(owner=user, asset_ids=ids)
        if shared and request.POST.get("confirm") != "1":
            error = (
                f"{len(shared)} of the selected items are on a live share board. "
                "Confirm to move them to the trash anyway."
            )
        else:
            services.assets_trash(owner=user, asset_ids=ids)
    elif action == "restore":
        services.assets_restore(owner=user, asset_ids=ids)
    elif action == "delete":
        done = services.trash_empty(owner=user, asset_ids=ids)

    if error:
        if is_fragment(request):
            return _toast(request, error, level="warning", status=422)
        messages.warning(request, error)
        return redirect(back)
    text = f"{BULK_ACTIONS[action]}: {done} item{'s' if done != 1 else ''}."
    if is_fragment(request):
        return _toast(request, text)
    messages.success(request, text)
    return redirect(back)


@login_required
@require_POST
def bulk_download(request):
    """The selected assets' original files as one ZIP, streamed while it is written."""
    ids = assets_by_public_ids(owner=request.user, public_ids=request.POST.getlist("ids"))
    if not ids:
        messages.error(request, "Select at least one item to download.")
        return redirect(_next_url(request, reverse("assets:library")))
    assets = list(Asset.objects.filter(owner=request.user, pk__in=ids).order_by("created_at", "id"))
    services.usage_record(asset_ids=ids, kind=UsageEvent.Kind.DOWNLOAD, context="zip")
    response = StreamingHttpResponse(zip_stream(assets), content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="library-{stamp}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def trash_empty(request):
    deleted = services.trash_empty(owner=request.user)
    text = f"Deleted {deleted} item{'s' if deleted != 1 else ''} for good."
    if is_fragment(request):
        return _toast(request, text)
    messages.success(request, text)
    return redirect("assets:trash")


# --------------------------------------------------------------------------- one asset


def _text_preview(asset: Asset) -> str:
    try:
        with asset.file.open("rb") as fh:
            data = fh.read(TEXT_PREVIEW_BYTES)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


def _asset_links(state: LibraryState, asset: Asset) -> tuple[list, list]:
    """``(shares, temporary links)`` of ``asset`` that work now.

    Cached per library version (creating or revoking either is a service write, and so is
    a change to the collections a share reaches the asset through); each link's expiry is
    checked on every page, so one that ran out since is never listed.
    """
    shares, temp_links = state.cached(
        state.key(f"links:{asset.pk}"),
        lambda: (
            [
                ShareOnPage(s.get_absolute_url(), s.display_title, s.expires_at)
                for s in asset_share_links(asset=asset)
            ],
            list(services.temp_links_live(asset=asset)),
        ),
    )
    now = timezone.now()
    return (
        [s for s in shares if s.expires_at is None or s.expires_at > now],
        [link for link in temp_links if link.expires_at > now],
    )


def _detail_context(request, asset: Asset) -> dict:
    usage = asset_usage_counts(asset=asset)
    state = LibraryState(request.user)
    shares, temp_links = _asset_links(state, asset)
    versions = _once(lambda: asset_versions(asset=asset))
    collections = _once(lambda: collection_options(owner=request.user, asset=asset))
    return {
        "asset": asset,
        "library_state": state,
        "lineage": _once(lambda: versions()[0]),
        # Only the columns a tile reads: the tiles are cached, the rest is never shown.
        "children": _once(
            lambda: list(
                asset.children.filter(status=Asset.Status.READY)
                .only(*CARD_FIELDS)
                .order_by("-created_at")[:24]
            )
        ),
        "tree": _once(lambda: versions()[1]),
        "tags": _once(lambda: asset_tags(asset=asset)),
        "asset_collections": _once(lambda: [c for c in collections() if c.holds]),
        "collections": collections,
        "usage": [(label, usage[kind]) for kind, label in UsageEvent.Kind.choices],
        # Counted above: most images were never exported, and then there is nothing to list.
        "exports": asset_exports(asset=asset) if usage[UsageEvent.Kind.EXPORT] else [],
        "shares": shares,
        "text_preview": _once(
            lambda: _text_preview(asset) if asset.kind == Asset.Kind.TEXT else ""
        ),
        # The forms are shown in cached fragments only: built when one is rendered.
        "rename_form": _once(lambda: RenameForm(initial={"title": asset.title})),
        "tag_form": _once(TagForm),
        "export_form": _once(ExportForm),
        "link_form": _once(TempLinkForm),
        "temp_links": temp_links,
        "palettes": _once(lambda: list(asset.palettes.all())),
        "share_form": _once(ShareForm),
    }


@login_required
def detail(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id, include_trashed=True)
    if asset.status == Asset.Status.READY:
        services.usage_record(asset_ids=[asset.pk], kind=UsageEvent.Kind.VIEW)
    return render(request, "assets/detail.html", _detail_context(request, asset))


def _owner_asset(request, asset_id, *, include_trashed: bool = False) -> Asset:
    return asset_get_for_owner(
        owner=request.user, public_id=asset_id, include_trashed=include_trashed
    )


@login_required
@require_POST
def favourite(request, asset_id):
    asset = _owner_asset(request, asset_id)
    value = request.POST.get("value", "toggle")
    new = not asset.is_favourite if value == "toggle" else value == "1"
    services.assets_favourite_set(owner=request.user, asset_ids=[asset.pk], value=new)
    asset.is_favourite = new
    if is_fragment(request):
        return render(request, "assets/_favourite.html", {"asset": asset})
    return redirect(_next_url(request, asset.get_absolute_url()))


@login_required
@require_POST
def rename(request, asset_id):
    asset = _owner_asset(request, asset_id)
    form = RenameForm(request.POST)
    if form.is_valid():
        services.asset_rename(asset=asset, title=form.cleaned_data["title"])
        if is_fragment(request):
            return HttpResponseClientRedirect(asset.get_absolute_url())
        messages.success(request, "Renamed.")
    else:
        messages.error(request, "A title has at most 255 characters.")
    return redirect(asset)


@login_required
@require_POST
def tag_add(request, asset_id):
    asset = _owner_asset(request, asset_id)
    form = TagForm(request.POST)
    if form.is_valid():
        names = services.tag_names_parse(form.cleaned_data["tags"])
        services.assets_tag(owner=request.user, asset_ids=[asset.pk], names=names)
    if is_fragment(request):
        return render(
            request,
            "assets/_tags.html",
            {"asset": asset, "tags": asset_tags(asset=asset), "tag_form": TagForm()},
        )
    return redirect(asset)


@login_required
@require_POST
def tag_remove(request, asset_id):
    asset = _owner_asset(request, asset_id)
    services.asset_tag_remove(asset=asset, name=request.POST.get("name", ""))
    if is_fragment(request):
        return render(
            request,
            "assets/_tags.html",
            {"asset": asset, "tags": asset_tags(asset=asset), "tag_form": TagForm()},
        )
    return redirect(asset)


@login_required
@require_POST
def asset_collection(request, asset_id):
    """Add the asset to a collection (or a new one, by name), or take it out of one."""
    asset = _owner_asset(request, asset_id)
    if request.POST.get("collection"):
        collection = collection_get_for_owner(
            owner=request.user, public_id=_uuid_or_404(request.POST["collection"])
        )
    elif request.POST.get("new_name", "").strip():
        collection = services.collection_create(
            owner=request.user, name=request.POST["new_name"][:120]
        )
    else:
        messages.error(request, "Choose a collection or name a new one.")
        return redirect(asset)
    if request.POST.get("remove") == "1":
        services.collection_remove_assets(collection=collection, asset_ids=[asset.pk])
        messages.success(request, f"Removed from {collection.name}.")
    else:
        services.collection_add_assets(collection=collection, asset_ids=[asset.pk])
        messages.success(request, f"Added to {collection.name}.")
    return redirect(asset)


@login_required
@require_POST
def trash_asset(request, asset_id):
    asset = _owner_asset(request, asset_id)
    if assets_in_live_shares(owner=request.user, asset_ids=[asset.pk]) and (
        request.POST.get("confirm") != "1"
    ):
        messages.warning(
            request,
            "This item is on a live share board: people with the link will stop seeing it. "
            "Confirm to move it to the trash.",
        )
        return redirect(f"{asset.get_absolute_url()}?confirm_trash=1")
    services.assets_trash(owner=request.user, asset_ids=[asset.pk])
    messages.success(request, f"Moved {asset.display_title} to the trash.")
    if is_fragment(request):
        return HttpResponseClientRedirect(reverse("assets:library"))
    return redirect("assets:library")


@login_required
@require_POST
def restore_asset(request, asset_id):
    asset = _owner_asset(request, asset_id, include_trashed=True)
    services.assets_restore(owner=request.user, asset_ids=[asset.pk])
    messages.success(request, f"Restored {asset.display_title}.")
    return redirect(asset)


@login_required
def compare(request, asset_id):
    """Before/after of an asset against its parent: wipe slider and side by side."""
    asset = _owner_asset(request, asset_id)
    parent = asset.parent
    if parent is None or parent.owner_id != request.user.pk or parent.status != Asset.Status.READY:
        raise Http404("This item has no earlier version to compare with.")
    return render(request, "assets/compare.html", {"asset": asset, "parent": parent})


@login_required
@require_POST
def temp_link(request, asset_id):
    asset = _owner_asset(request, asset_id)
    form = TempLinkForm(request.POST)
    seconds = form.cleaned_data["seconds"] if form.is_valid() else 3600
    seconds = min(seconds, services.temp_link_max_seconds())
    url = request.build_absolute_uri(services.temp_link_create(asset=asset, seconds=seconds))
    expires = timezone.now() + timedelta(seconds=seconds)
    context = {
        "asset": asset,
        "url": url,
        "expires": expires,
        "link_form": form,
        "temp_links": services.temp_links_live(asset=asset),
    }
    if is_fragment(request):
        return render(request, "assets/_temp_link.html", context)
    return render(request, "assets/temp_link.html", context)


@login_required
@require_POST
def temp_link_revoke(request, asset_id, link_id):
    asset = _owner_asset(request, asset_id)
    if not services.temp_link_revoke(asset=asset, link_id=link_id):
        raise Http404("No such link.")
    if is_fragment(request):
        return render(
            request,
            "assets/_temp_links.html",
            {"asset": asset, "temp_links": services.temp_links_live(asset=asset)},
        )
    messages.success(request, "The link no longer works.")
    return redirect(asset)


# --------------------------------------------------------------------------- palettes


def _owner_palette(request, asset_id, palette_id) -> tuple[Asset, AssetPalette]:
    asset = _owner_asset(request, asset_id)
    palette = AssetPalette.objects.filter(asset=asset, public_id=palette_id).first()
    if palette is None:
        raise Http404("No such palette.")
    palette.asset = asset
    return asset, palette


def _palettes_answer(request, asset: Asset, *, error: str = "") -> HttpResponse:
    return render(
        request,
        "assets/_palettes.html",
        {"asset": asset, "palettes": asset.palettes.all(), "palette_error": error},
    )


@login_required
@require_POST
def palette_rename(request, asset_id, palette_id):
    asset, palette = _owner_palette(request, asset_id, palette_id)
    form = PaletteRenameForm(request.POST)
    ok = form.is_valid() and bool(form.cleaned_data["name"].strip())
    if ok:
        services.asset_palette_rename(palette=palette, name=form.cleaned_data["name"])
    error = "" if ok else "A palette name has 1 to 80 characters."
    if is_fragment(request):
        return _palettes_answer(request, asset, error=error)
    if ok:
        messages.success(request, "Palette renamed.")
    else:
        messages.error(request, error)
    return redirect(asset)


@login_required
@require_POST
def palette_delete(request, asset_id, palette_id):
    asset, palette = _owner_palette(request, asset_id, palette_id)
    services.asset_palette_delete(palette=palette)
    if is_fragment(request):
        return _palettes_answer(request, asset)
    messages.success(request, "Palette deleted.")
    return redirect(asset)


# --------------------------------------------------------------------------- files


def _serve(
    request, field, *, download_name: str = "", immutable: bool = False, content_type: str = ""
):
    storage = field.storage
    if hasattr(storage, "bucket_name"):
        # On S3 the bytes never pass through us: a short-lived presigned URL (S3 answers
        # Range requests itself, so media seeks there too).
        return HttpResponseRedirect(storage.url(field.name))
    ranged = (
        None
        if download_name
        else ranged_response(
            request, field, content_type=content_type or "application/octet-stream"
        )
    )
    if ranged is not None:
        # A <video> or <audio> seeking: just the bytes asked for (206).
        ranged["Cache-Control"] = IMMUTABLE if immutable else "private, max-age=300"
        ranged["X-Content-Type-Options"] = "nosniff"
        return ranged
    response = FileResponse(
        field.open("rb"), as_attachment=bool(download_name), filename=download_name or None
    )
    response["Cache-Control"] = IMMUTABLE if immutable else "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Accept-Ranges"] = "bytes"
    return response


def download_name(asset: Asset, ext: str = "") -> str:
    ext = ext or asset.file.name.rsplit(".", 1)[-1]
    base = slugify(asset.title or asset.prompt[:60]) or asset.public_id.hex[:8]
    return f"{base[:80]}.{ext}"


@login_required
def file(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    download = request.GET.get("download") == "1"
    name = ""
    if download:
        ext = asset.file.name.rsplit(".", 1)[-1]
        base = (asset.title or asset.public_id.hex[:8]).replace("/", "-")[:80]
        name = f"{base}.{ext}"
        services.usage_record(asset_ids=[asset.pk], kind=UsageEvent.Kind.DOWNLOAD)
    response = _serve(request, asset.file, download_name=name, content_type=asset.content_type)
    if not download and not hasattr(asset.file.storage, "bucket_name"):
        response["Content-Type"] = asset.content_type
    return response


@login_required
def export(request, asset_id):
    """Download the asset, optionally re-encoded (PNG/JPEG/WebP, quality, metadata)."""
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    form = ExportForm(request.GET or None)
    if not form.is_valid() or form.cleaned_data["format"] == "original":
        services.usage_record(asset_ids=[asset.pk], kind=UsageEvent.Kind.DOWNLOAD)
        return _serve(request, asset.file, download_name=download_name(asset))
    if asset.kind != Asset.Kind.IMAGE:
        raise Http404("Only images can be converted.")
    fmt = form.cleaned_data["format"]
    if (asset.width or 0) * (asset.height or 0) > settings.EXPORT_SYNC_MAX_PIXELS:
        # Too large to re-encode inside a request: the same conversion runs as a job.
        messages.info(request, "This image is large, so it is converted as a job.")
        query = urlencode(
            {
                "format": fmt,
                "quality": form.cleaned_data["quality"],
                "keep_metadata": "on" if form.cleaned_data["keep_metadata"] else "",
            }
        )
        return redirect(
            f"{reverse('studio:operation', args=[asset.public_id, 'tools.convert'])}?{query}"
        )
    with asset.file.open("rb") as fh:
        data = convert_image(
            fh,
            fmt=fmt,
            quality=form.cleaned_data["quality"],
            keep_metadata=form.cleaned_data["keep_metadata"],
        )
    services.usage_record(asset_ids=[asset.pk], kind=UsageEvent.Kind.DOWNLOAD, context=fmt)
    _, content_type, ext = EXPORT_FORMATS[fmt]
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{download_name(asset, ext)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def thumbnail(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    field = asset.thumbnail if asset.thumbnail else asset.file
    return _serve(request, field, immutable=bool(asset.thumbnail))


def placeholder_response(asset: Asset, *, pending: bool) -> HttpResponse:
    """An SVG tile standing in for a rendition: the kind's label, never the original."""
    svg = render_to_string("assets/placeholder.svg", {"asset": asset, "pending": pending})
    response = HttpResponse(svg, content_type="image/svg+xml")
    # A pending rendition will exist soon: don't let the browser keep the stand-in.
    response["Cache-Control"] = "private, no-cache" if pending else "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve_rendition(request, asset: Asset, spec: str) -> HttpResponse:
    """The ``spec`` rendition of ``asset``; made by a task, so the first request may get a
    placeholder (or the upload-time WebP thumbnail) while it is queued."""
    if spec not in RENDITION_SPECS:
        raise Http404("No such rendition")
    if asset.kind != Asset.Kind.IMAGE:
        return placeholder_response(asset, pending=False)
    rendition = asset.renditions.filter(spec=spec).first()
    if rendition is not None:
        return _serve(request, rendition.file, immutable=True)
    from .tasks import rendition_create_task

    rendition_create_task.delay_on_commit(asset.pk, spec)
    # The upload-time thumbnail stands in for small tiles only: a preview (or a board's
    # reduced "shared" copy) must never fall back to it, it can be the full-size picture.
    if asset.thumbnail and spec not in ("preview", "shared"):
        response = _serve(request, asset.thumbnail)
        response["Cache-Control"] = "private, no-cache"
        return response
    return placeholder_response(asset, pending=True)


@login_required
def rendition(request, asset_id, spec):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id, include_trashed=True)
    return serve_rendition(request, asset, spec)


# --------------------------------------------------------------------------- collections


@login_required
def collections(request):
    form = CollectionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            collection = services.collection_create(owner=request.user, **form.cleaned_data)
            messages.success(request, f"Created {collection.name}.")
            if is_fragment(request):
                return HttpResponseClientRedirect(collection.get_absolute_url())
            return redirect(collection)
        status = 422
    else:
        status = 200
    context = {"collections": collection_list(owner=request.user), "form": form}
    template = (
        "assets/collections.html#collection-list"
        if is_fragment(request)
        else "assets/collections.html"
    )
    return render(request, template, context, status=status)


@login_required
@require_GET
def collection(request, collection_id):
    obj = collection_get_for_owner(owner=request.user, public_id=collection_id)
    context = _library_context(request, collection=obj)
    if not is_fragment(request):
        context["collection_form"] = CollectionForm(
            initial={"name": obj.name, "description": obj.description}
        )
        context["share_form"] = ShareForm(initial={"title": obj.name})
    return _render_library(request, context)


@login_required
@require_POST
def collection_edit(request, collection_id):
    obj = collection_get_for_owner(owner=request.user, public_id=collection_id)
    form = CollectionForm(request.POST)
    cover = False
    if request.POST.get("cover"):
        cover_ids = assets_by_public_ids(owner=request.user, public_ids=[request.POST["cover"]])
        cover = cover_ids[0] if cover_ids else False
    if form.is_valid():
        services.collection_update(collection=obj, cover_id=cover, **form.cleaned_data)
        messages.success(request, "Collection saved.")
    elif cover is not False:
        services.collection_update(collection=obj, cover_id=cover)
        messages.success(request, "Cover set.")
    else:
        messages.error(request, "A collection needs a name.")
    return redirect(obj)


@login_required
@require_POST
def collection_delete(request, collection_id):
    obj = collection_get_for_owner(owner=request.user, public_id=collection_id)
    name = obj.name
    services.collection_delete(collection=obj)
    messages.success(
        request, f"Deleted the collection {name}; its items are still in your library."
    )
    if is_fragment(request):
        return HttpResponseClientRedirect(reverse("assets:collections"))
    return redirect("assets:collections")


# --------------------------------------------------------------------------- share links


@login_required
def shares(request):
    return render(request, "assets/shares.html", {"shares": share_list(owner=request.user)})


@login_required
@require_POST
def share_create(request):
    """Share one collection (``collection``) or one asset (``asset``), by public id."""
    form = ShareForm(request.POST)
    target: dict = {}
    if request.POST.get("collection"):
        target["collection"] = collection_get_for_owner(
            owner=request.user, public_id=_uuid_or_404(request.POST["collection"])
        )
    elif request.POST.get("asset"):
        target["asset"] = asset_get_for_owner(
            owner=request.user, public_id=_uuid_or_404(request.POST["asset"])
        )
    else:
        raise Http404("Nothing to share")
    back = _next_url(request, reverse("assets:shares"))
    if not form.is_valid():
        messages.error(request, "Check the share settings and try again.")
        return redirect(back)
    share = services.share_create(
        owner=request.user,
        title=form.cleaned_data["title"],
        expires_at=form.expires_at(),
        password=form.cleaned_data["password"],
        allow_download=form.cleaned_data["allow_download"],
        show_details=form.cleaned_data["show_details"],
        **target,
    )
    messages.success(
        request, f"Share link ready: {request.build_absolute_uri(share.get_absolute_url())}"
    )
    return redirect("assets:shares")


@login_required
@require_POST
def share_revoke(request, share_id):
    share = share_get_for_owner(owner=request.user, public_id=share_id)
    services.share_revoke(share=share)
    if is_fragment(request):
        return render(request, "assets/shares.html#share-row", {"share": share})
    messages.success(request, "The link no longer works.")
    return redirect("assets:shares")
