"""Social Optimizer pages: pick an image, then its formats, crops and previews."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from assets.selectors import asset_list
from studio.jobs.views import operation


@login_required
def social_start(request):
    """Pick the image to optimise: recent library images, or upload a new one."""
    page = Paginator(
        asset_list(owner=request.user)
        .filter(kind="image")
        .only(
            "public_id",
            "title",
            "prompt",
            "original_filename",
            "width",
            "height",
            "thumbnail",
            "source_module",
            "kind",
            "metadata",
            "created_at",
        ),
        24,
    ).get_page(request.GET.get("page"))
    return render(request, "social/social_start.html", {"page": page})


@login_required
def social(request, asset_id):
    """The Social Optimizer for one image: formats, crop mode, live previews, export."""
    return operation(request, asset_id, "social.pack")
