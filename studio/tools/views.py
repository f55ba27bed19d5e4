"""Quick tools' own pages: the apply-palette preview and palette downloads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assets.selectors import asset_get_for_owner
from providers.base import InvalidInput

from . import forms, services


@login_required
@require_GET
def palette_preview(request, asset_id):
    """An htmx fragment: the image recoloured with the form's current settings."""
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    form = forms.ApplyPaletteForm(request.GET, asset=asset)
    context = {"asset": asset, "form": form, "preview": ""}
    if form.is_valid():
        try:
            context["preview"] = services.preview_data_uri(asset, form.cleaned_data)
        except InvalidInput as exc:
            context["error"] = exc.user_message
    return render(request, "tools/_palette_preview.html", context)


@login_required
@require_GET
def palette_download(request, asset_id, fmt):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    try:
        data, content_type, filename = services.palette_export(asset, fmt)
    except (KeyError, InvalidInput):
        raise Http404("No palette to download") from None
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
