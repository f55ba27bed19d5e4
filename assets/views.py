from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from studio.catalog import operations_for_module

from .forms import UploadForm
from .models import Asset
from .selectors import asset_get_for_owner, asset_lineage, asset_list
from .services import asset_create_from_upload


def _is_fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


@login_required
def library(request):
    qs = asset_list(owner=request.user)
    page = Paginator(qs, 48).get_page(request.GET.get("page"))
    template = "assets/library.html#grid" if _is_fragment(request) else "assets/library.html"
    return render(request, template, {"page": page, "upload_form": UploadForm()})


@login_required
@require_POST
def upload(request):
    form = UploadForm(request.POST, request.FILES)
    asset = None
    if form.is_valid():
        f = form.cleaned_data["file"]
        try:
            asset = asset_create_from_upload(
                owner=request.user, uploaded=f, filename=f.name, size=f.size
            )
        except ValidationError as exc:
            form.add_error("file", exc)
    if asset is None:
        if _is_fragment(request):
            return render(request, "components/upload_zone.html", {"upload_form": form}, status=422)
        for error in form.errors.get("file", []):
            messages.error(request, error)
        return redirect(request.POST.get("next") or "assets:library")
    messages.success(request, f"Uploaded {asset.display_title}.")
    if _is_fragment(request):
        return HttpResponseClientRedirect(asset.get_absolute_url())
    return redirect(asset)


@login_required
def detail(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    children = asset.children.filter(status=Asset.Status.READY).order_by("-created_at")[:24]
    return render(
        request,
        "assets/detail.html",
        {
            "asset": asset,
            "lineage": asset_lineage(asset=asset),
            "children": children,
            "tools": operations_for_module("tools"),
        },
    )


def _serve(request, field, *, download_name: str = "", immutable: bool = False):
    storage = field.storage
    if hasattr(storage, "bucket_name"):
        # On S3 the bytes never pass through us: a short-lived presigned URL.
        return HttpResponseRedirect(storage.url(field.name))
    response = FileResponse(
        field.open("rb"), as_attachment=bool(download_name), filename=download_name or None
    )
    response["Cache-Control"] = (
        "private, max-age=31536000, immutable" if immutable else "private, max-age=300"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def file(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    download = request.GET.get("download") == "1"
    name = ""
    if download:
        ext = asset.file.name.rsplit(".", 1)[-1]
        base = (asset.title or asset.public_id.hex[:8]).replace("/", "-")[:80]
        name = f"{base}.{ext}"
    response = _serve(request, asset.file, download_name=name)
    if not download and not hasattr(asset.file.storage, "bucket_name"):
        response["Content-Type"] = asset.content_type
    return response


@login_required
def thumbnail(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    field = asset.thumbnail if asset.thumbnail else asset.file
    return _serve(request, field, immutable=bool(asset.thumbnail))
