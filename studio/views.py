"""The studio's home page: what each module does, recent images and jobs."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from assets.selectors import asset_list

from .jobs.selectors import job_list


@login_required
def dashboard(request):
    recent_assets = asset_list(owner=request.user).only(
        "public_id",
        "title",
        "prompt",
        "original_filename",
        "width",
        "height",
        "kind",
        "source_module",
        "thumbnail",
        "is_favourite",
        "created_at",
        "kind",
    )[:12]
    recent_jobs = job_list(owner=request.user)[:6]
    return render(
        request,
        "studio/dashboard.html",
        {"recent_assets": recent_assets, "recent_jobs": recent_jobs},
    )
