"""Public pages under /s/: share boards and temporary file links. No login; nothing is
shown that the owner did not share, and a dead link shows nothing at all."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from imagestudio.ratelimits import over_limit, too_many
from media import format_for_content_type

from . import services
from .forms import SharePasswordForm
from .imaging import RENDITION_SPECS, convert_image
from .models import Asset, ShareLink, UsageEvent
from .selectors import share_asset_get, share_assets, share_get_public
from .views import download_name, serve_rendition

BOARD_LIMIT = 500


def _session_key(share: ShareLink) -> str:
    return f"share-unlocked-{share.pk}"


def _unlocked(request, share: ShareLink) -> bool:
    return (
        not share.has_password or request.session.get(_session_key(share)) == share.password[-16:]
    )


def _private_headers(response, *, referrer_policy: str = "no-referrer"):
    # Boards are for the people holding the link: keep them out of shared caches and indexes,
    # and never leak the tokened URL to other sites.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = referrer_policy
    return response


def _password_attempt_wait(request, share: ShareLink) -> int:
    """Count one password attempt; seconds to wait when the board or this client is over
    its limit. Checked before any hashing, so guessing costs the server bounded CPU."""
    client = request.META.get("REMOTE_ADDR", "")
    return over_limit(
        request,
        [
            ("share-password:board", share.token, settings.SHARE_PASSWORD_RATE_BOARD),
            (
                "share-password:client",
                f"{share.token}|{client}",
                settings.SHARE_PASSWORD_RATE_CLIENT,
            ),
            # Across every board, so one client's hashing bill stays bounded too.
            ("share-password:any-board", client, settings.SHARE_PASSWORD_RATE_CLIENT_ALL),
        ],
    )


@login_not_required
def board(request, token):
    share = share_get_public(token=token)
    if share.has_password and not _unlocked(request, share):
        form = SharePasswordForm(request.POST or None)
        # The password form is posted back to this page: with "no-referrer" Chromium would
        # send "Origin: null" and CSRF protection would refuse every attempt. "same-origin"
        # still keeps the board's URL from other sites.
        page = {"referrer_policy": "same-origin"}
        if request.method == "POST":
            wait = _password_attempt_wait(request, share)
            if wait:
                response = too_many(
                    request,
                    wait,
                    template="share/password.html",
                    context={"share": share, "form": SharePasswordForm()},
                )
                return _private_headers(response, **page)
        if request.method == "POST" and form.is_valid():
            if services.share_password_ok(share=share, password=form.cleaned_data["password"]):
                # The session remembers a fragment of the hash: changing or clearing the
                # password locks every earlier visitor out again.
                request.session[_session_key(share)] = share.password[-16:]
                return redirect(share.get_absolute_url())
            form.add_error("password", "That password is not right.")
        status = 403 if request.method == "POST" else 200
        return _private_headers(
            render(request, "share/password.html", {"share": share, "form": form}, status=status),
            **page,
        )
    if request.method not in ("GET", "HEAD"):
        return redirect(share.get_absolute_url())
    assets = list(share_assets(share=share)[:BOARD_LIMIT])
    services.share_record_view(share=share, asset_id=share.asset_id)
    return _private_headers(render(request, "share/board.html", {"share": share, "assets": assets}))


def _share_and_asset(request, token, asset_id) -> tuple[ShareLink, Asset]:
    share = share_get_public(token=token)
    if not _unlocked(request, share):
        raise Http404("Locked")
    return share, share_asset_get(share=share, public_id=asset_id)


@login_not_required
@require_GET
def item(request, token, asset_id):
    share, asset = _share_and_asset(request, token, asset_id)
    services.share_record_view(share=share, asset_id=asset.pk)
    return _private_headers(render(request, "share/item.html", {"share": share, "asset": asset}))


# Tiles at least this many times the grid size in both directions are a reduction anyway.
FULL_SIZE_SAFE_FACTOR = 2


def shared_spec(share: ShareLink, asset: Asset, spec: str) -> str:
    """The rendition a board serves for ``spec``.

    With downloads off, a preview must not be a full-resolution copy: the large preview,
    and tiles of images too small for a tile to be a real reduction, become the "shared"
    rendition (at most 1024 px and always smaller than the original)."""
    if share.allow_download or spec == "list":
        return spec
    if spec == "preview":
        return "shared"
    box = RENDITION_SPECS[spec][0] * FULL_SIZE_SAFE_FACTOR if spec in RENDITION_SPECS else 0
    if min(asset.width or 0, asset.height or 0) < box:
        return "shared"
    return spec


@login_not_required
@require_GET
def rendition(request, token, asset_id, spec):
    share, asset = _share_and_asset(request, token, asset_id)
    if spec not in RENDITION_SPECS or spec == "shared":
        raise Http404("No such rendition")
    return serve_rendition(request, asset, shared_spec(share, asset, spec))


@login_not_required
@require_GET
def download(request, token, asset_id):
    share, asset = _share_and_asset(request, token, asset_id)
    if not share.allow_download:
        raise Http404("Downloads are off for this board.")
    services.share_record_download(share=share, asset_id=asset.pk)
    if share.show_details:
        return _file_response(asset, as_attachment=True, filename=download_name(asset))
    # Neither the file name nor the file may reveal what the board hides: generated images
    # carry their recipe (prompt, seed, model) inside, so serve a copy without metadata.
    fmt = format_for_content_type(asset.content_type)
    if asset.kind != Asset.Kind.IMAGE or fmt is None:
        return _file_response(asset, as_attachment=True, filename=_plain_name(asset))
    with asset.file.open("rb") as fh:
        data = convert_image(fh, fmt=fmt.key, quality=95, keep_metadata=False)
    response = HttpResponse(data, content_type=asset.content_type)
    response["Content-Disposition"] = f'attachment; filename="{_plain_name(asset)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _plain_name(asset: Asset) -> str:
    ext = asset.file.name.rsplit(".", 1)[-1]
    return f"{slugify(asset.plain_title)[:80] or asset.public_id.hex[:8]}.{ext}"


def _file_response(asset: Asset, *, as_attachment: bool, filename: str = ""):
    storage = asset.file.storage
    if getattr(storage, "bucket_name", None):
        return HttpResponseRedirect(storage.url(asset.file.name))
    response = FileResponse(
        asset.file.open("rb"),
        as_attachment=as_attachment,
        filename=filename or _plain_name(asset),
        content_type=asset.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_not_required
@require_GET
def temporary(request, value):
    """A signed, expiring link to one file (made by the owner on the detail panel)."""
    asset = services.temp_link_resolve(value=value)
    if asset is None:
        raise Http404("This link has expired.")
    services.usage_record(asset_ids=[asset.pk], kind=UsageEvent.Kind.DOWNLOAD, context="link")
    return _file_response(asset, as_attachment=request.GET.get("download") == "1")
