"""The Upscale page's plan: output size, method (and why) and cost, before anything runs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from assets.selectors import asset_get_for_owner
from providers.base import ProviderError
from studio.jobs.registry import get_operation
from studio.jobs.services import job_check

from .forms import UpscaleForm


@login_required
@require_http_methods(["GET", "POST"])
def upscale_plan(request, asset_id):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    data = request.POST if request.method == "POST" else request.GET
    form = UpscaleForm(data or None, asset=asset)
    context = {"asset": asset, "form": form, "problem": "", "choice": None, "check": None}
    if not form.is_bound:
        form = UpscaleForm({"factor": form.fields["factor"].initial, "format": "png"}, asset=asset)
        context["form"] = form
    if form.is_valid():
        op = get_operation("upscale.image")
        context["choice"] = form.choice
        try:
            params = op.build_params(dict(form.cleaned_data), [asset])
            context["check"] = job_check(
                user=request.user, operation=op, params=params, inputs=[asset]
            )
        except ProviderError as exc:
            context["problem"] = exc.user_message
    else:
        errors = [e for errs in form.errors.values() for e in errs]
        context["problem"] = errors[0] if errors else "Choose a size."
    return render(request, "upscale/_plan.html", context)
