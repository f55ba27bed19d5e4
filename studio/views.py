from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from assets.selectors import asset_get_for_owner, asset_list
from billing.services import BillingError

from . import catalog
from .selectors import job_get_for_owner, job_list
from .services import job_cancel, job_create, job_quote, job_retry


def _is_fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


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


def _operation_or_404(key: str) -> catalog.Operation:
    try:
        return catalog.get_operation(key)
    except KeyError:
        raise Http404("No such operation") from None


@login_required
def operation(request, asset_id, op_key):
    """GET: the operation's form for this asset. POST: validate, quote, create the job."""
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    op = _operation_or_404(op_key)
    form = op.form_class(request.POST or None, asset=asset)
    if request.method == "POST":
        if form.is_valid():
            try:
                job = job_create(
                    user=request.user, operation=op, cleaned=form.cleaned_data, inputs=[asset]
                )
            except BillingError as exc:
                form.add_error(None, exc.message)
            else:
                if _is_fragment(request):
                    response = render(request, "components/job_card.html", {"job": job})
                    response["HX-Trigger"] = "jobQueued"
                    return response
                return redirect(job)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else dict(form.initial)
    quote = job_quote(operation=op, cleaned=cleaned)
    context = {"asset": asset, "op": op, "form": form, "quote": quote}
    if not _is_fragment(request):
        return render(request, "studio/operation.html", context)
    response = render(request, "studio/operation.html#op-form", context)
    if request.method == "POST":
        # The form targets the job area on success; an invalid form replaces itself.
        retarget(response, "#op-form")
        reswap(response, "outerHTML")
    return response


@login_required
def job_detail(request, job_id):
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    if _is_fragment(request):
        # The card polls itself while the job is active; its terminal render has no trigger.
        return render(request, "components/job_card.html", {"job": job})
    return render(request, "studio/job_detail.html", {"job": job})


@login_required
@require_POST
def job_cancel_view(request, job_id):
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    if not job_cancel(job=job):
        messages.info(request, "That job had already finished.")
    if _is_fragment(request):
        return render(request, "components/job_card.html", {"job": job})
    return redirect(job)


@login_required
@require_POST
def job_retry_view(request, job_id):
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    if job.is_active:
        messages.info(request, "That job is still running.")
        return redirect(job)
    try:
        new_job = job_retry(job=job)
    except BillingError as exc:
        messages.error(request, exc.message)
        if _is_fragment(request):
            return HttpResponseClientRedirect(job.get_absolute_url())
        return redirect(job)
    if _is_fragment(request):
        return render(request, "components/job_card.html", {"job": new_job})
    return redirect(new_job)


@login_required
def job_list_view(request):
    from django.core.paginator import Paginator

    page = Paginator(job_list(owner=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "studio/job_list.html", {"page": page})
