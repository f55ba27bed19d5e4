"""Edit's own endpoints beside the shared module page: the starting masks of the editor."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from assets.selectors import asset_get_for_owner
from providers.base import ProviderError
from studio.jobs.selectors import job_get_for_owner

from . import services


@login_required
@require_GET
def subject_mask(request, asset_id):
    """The picture's main subject as a black-and-white PNG at its native size (offline)."""
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    try:
        data = services.subject_mask(asset=asset)
    except ProviderError as exc:
        return JsonResponse({"error": exc.user_message}, status=422)
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def job_mask(request, job_id):
    """The mask a job of the user kept (private: only its owner gets it)."""
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    item = job.files.filter(role="mask").first()
    if item is None:
        raise Http404("This job has no mask")
    with item.file.open("rb") as fh:
        data = fh.read()
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = f'inline; filename="mask-{job.public_id.hex[:8]}.png"'
    return response
