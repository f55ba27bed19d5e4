"""Batch pages: start a batch, its dry run and approval, live progress, results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from assets.models import Asset
from assets.selectors import asset_list, assets_by_public_ids
from imagestudio.htmx import is_fragment, render_page

from . import importer, results, services
from .forms import ApproveForm, NewBatchForm
from .models import Batch, BatchRow
from .selectors import batch_get_for_owner, batch_list


def _library(user):
    return asset_list(owner=user).filter(kind="image")[:48]


@login_required
def batch_list_view(request):
    """The batch start page: a new batch from a CSV, files or the library; past batches."""
    if request.method == "POST":
        form = NewBatchForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("csv_file"):
                    batch = services.batch_create_from_csv(
                        user=request.user,
                        data=data["csv_file"].read(),
                        name=data.get("name", ""),
                        operation=data.get("operation", ""),
                        defaults=data["settings"],
                    )
                else:
                    ids = assets_by_public_ids(owner=request.user, public_ids=data["asset_ids"])
                    batch = services.batch_create_from_images(
                        user=request.user,
                        operation=data["operation"],
                        uploads=data.get("images") or [],
                        assets=list(Asset.objects.filter(pk__in=ids).order_by("-created_at")),
                        name=data.get("name", ""),
                        defaults=data["settings"],
                    )
            except importer.BatchInputError as exc:
                form.add_error(None, exc.message)
            else:
                if is_fragment(request):
                    return HttpResponseClientRedirect(batch.get_absolute_url())
                return redirect(batch)
        status = 400
    else:
        form = NewBatchForm()
        status = 200
    page = Paginator(batch_list(owner=request.user), 20).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "library": _library(request.user),
        "kinds": importer.TEMPLATES.keys(),
    }
    return render(request, "batch/batch_list.html", context, status=status)


@login_required
def batch_template(request, kind):
    if kind not in importer.TEMPLATES:
        raise Http404("No such template")
    response = HttpResponse(importer.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{kind}-template.csv"'
    return response


def _rows_page(batch, request):
    rows = batch.rows.select_related("job", "input_asset").prefetch_related("job__outputs")
    status = request.GET.get("status", "")
    if status in BatchRow.Status.values:
        rows = rows.filter(status=status)
    return Paginator(rows.order_by("number"), 100).get_page(request.GET.get("page"))


def _context(request, batch, **extra):
    context = {"batch": batch, "rows": _rows_page(batch, request), **extra}
    if batch.status == Batch.Status.DRAFT:
        context.setdefault("summary", services.batch_summary(batch=batch))
        context.setdefault("approve_form", ApproveForm(initial={"scope": "all", "notify": True}))
    else:
        context["progress"] = services.batch_progress(batch=batch)
        context["has_outputs"] = results.has_outputs(batch)
    return context


@login_required
def batch_detail(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    context = _context(request, batch)
    if is_fragment(request) and batch.status != Batch.Status.DRAFT:
        # The progress block polls itself while the batch is active; its terminal render
        # carries no trigger, so polling stops.
        return render(request, "batch/batch_detail.html#progress", context)
    return render_page(request, "batch/batch_detail.html", context)


@login_required
@require_POST
def batch_approve_view(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    form = ApproveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rows = services.batch_approve(
                batch=batch,
                numbers=data["numbers"],
                fit=data.get("fit", False),
                scheduled_at=data.get("start_at"),
                notify=data.get("notify", False),
            )
        except services.BatchRefused as exc:
            form.add_error(None, exc.message)
            if exc.fitting:
                form.add_error(
                    None,
                    f"{exc.fitting} of the rows fit your balance: tick “run only the rows that "
                    "fit”, or top up.",
                )
        else:
            messages.success(request, f"Approved {len(rows)} rows; their credits are on hold.")
            if is_fragment(request):
                return HttpResponseClientRedirect(batch.get_absolute_url())
            return redirect(batch)
    context = _context(request, batch, approve_form=form)
    return render(request, "batch/batch_detail.html", context, status=400)


def _control(request, batch, ok: bool, done: str, not_done: str):
    if ok:
        messages.success(request, done)
    else:
        messages.info(request, not_done)
    if is_fragment(request):
        return HttpResponseClientRedirect(batch.get_absolute_url())
    return redirect(batch)


@login_required
@require_POST
def batch_pause_view(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    ok = services.batch_pause(batch=batch)
    return _control(
        request,
        batch,
        ok,
        "Paused: running rows finish, no new rows start.",
        "This batch is not running.",
    )


@login_required
@require_POST
def batch_resume_view(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    ok = services.batch_resume(batch=batch)
    return _control(request, batch, ok, "Resumed.", "This batch is not paused.")


@login_required
@require_POST
def batch_cancel_view(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    was_active = batch.is_active
    released = services.batch_cancel(batch=batch)
    return _control(
        request,
        batch,
        was_active,
        f"Canceled: {released} waiting rows released their credits; running rows stop.",
        "This batch had already ended.",
    )


@login_required
@require_POST
def batch_retry_view(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    numbers = None
    if not request.POST.get("all"):
        numbers = [int(v) for v in request.POST.getlist("rows") if v.isdigit()]
        if not numbers:
            messages.error(request, "Tick the failed rows to retry, or retry all of them.")
            return (
                redirect(batch)
                if not is_fragment(request)
                else HttpResponseClientRedirect(batch.get_absolute_url())
            )
    try:
        rows = services.batch_retry(batch=batch, numbers=numbers)
    except services.BatchRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Retrying {len(rows)} rows.")
    if is_fragment(request):
        return HttpResponseClientRedirect(batch.get_absolute_url())
    return redirect(batch)


def _filename(batch, ext):
    return f"batch-{slugify(batch.name)[:40] or 'results'}-{batch.public_id.hex[:8]}.{ext}"


@login_required
def batch_download(request, batch_id):
    """Every succeeded row's outputs as one ZIP, streamed."""
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    if not results.has_outputs(batch):
        raise Http404("This batch has no files yet")
    response = StreamingHttpResponse(results.zip_stream(batch), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{_filename(batch, "zip")}"'
    return response


@login_required
def batch_report(request, batch_id):
    batch = batch_get_for_owner(owner=request.user, public_id=batch_id)
    body = results.report_csv(batch, request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(batch, "csv")}"'
    return response
