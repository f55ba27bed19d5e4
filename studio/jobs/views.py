from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from assets.archive import zip_stream
from assets.selectors import asset_get_for_owner, asset_list
from billing.services import BillingError, QuoteCheck
from imagestudio.htmx import is_fragment, swap_into_self
from providers.base import ProviderError

from . import registry
from .provider_health import app_registry
from .selectors import job_get_for_owner, job_list
from .services import job_cancel, job_check, job_create, job_retry


def _operation_or_404(key: str) -> registry.Operation:
    try:
        return registry.get_operation(key)
    except KeyError:
        raise Http404("No such operation") from None


def _not_installed(op) -> tuple[str, str]:
    """Why an offline model can't run here: (what a creator reads, the install command for
    staff), or ("", "") when it can.

    The engine's hint reads "<Feature> is not installed: <command>". Installing is the
    operator's business, so creators are told the feature is missing on this server and
    whom to ask; only staff see the command.
    """
    if op.provider != "local" or not op.model:
        return "", ""
    engine = app_registry().get("local")
    reason = getattr(engine, "unavailable_reason", None)
    hint = reason(op.model) if reason else ""
    if not hint:
        return "", ""
    feature, _, command = hint.partition(": ")
    feature = feature.removesuffix(" is not installed").strip() or op.label
    message = (
        f"{feature} is not installed on this server. Ask the person who runs this studio to add it."
    )
    return message, command.strip()


def queue_job(
    request,
    *,
    form,
    op: registry.Operation,
    inputs: list,
    cleaned: dict | None = None,
    params: dict | None = None,
    files: dict | None = None,
):
    """Submit a valid form's job through the pipeline: the job card (htmx) or a redirect to
    the job's page, or None with the reason added to ``form`` when nothing was created
    (credits short, a plan limit, a model that cannot take the request, a bad file).

    Every studio page submits through here, so each answers a submission the same way.
    """
    try:
        job = job_create(
            user=request.user,
            operation=op,
            inputs=inputs,
            cleaned=cleaned,
            params=params,
            files=files,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
    except BillingError as exc:
        form.add_error(None, exc.message)
    except ProviderError as exc:
        form.add_error(None, exc.user_message)
    else:
        if is_fragment(request):
            response = render(request, "components/job_card.html", {"job": job, "fragment": True})
            response["HX-Trigger"] = "jobQueued"
            return response
        return redirect(job)
    return None


def _run_operation_form(request, *, asset, op, template: str, extra: dict | None = None):
    """GET: the operation's form. POST: validate, quote, create the job.

    An htmx POST answers with the job card (swapped into the job area) or, when the form is
    invalid or credits are short, with the form fragment retargeted onto itself.
    """
    if request.method == "POST":
        form = op.form_class(request.POST, request.FILES, asset=asset)
    else:
        # Recall: settings in the query string pre-fill the form.
        initial = {k: v for k, v in request.GET.items() if k in op.form_class.base_fields}
        form = op.form_class(initial=initial, asset=asset)
    estimating = request.GET.get("estimate") == "1"
    missing, install_command = _not_installed(op)
    if request.method == "POST" and not estimating and missing:
        form.add_error(None, missing)  # nothing to run it with: no job, no charge
    elif request.method == "POST" and not estimating and form.is_valid():
        cleaned = dict(form.cleaned_data)
        # Uploaded files (a mask, a reference image) are private files of the job, never
        # library images; they are stored only once the job and its hold exist.
        files = {k: cleaned.pop(k) for k in list(cleaned) if isinstance(cleaned[k], UploadedFile)}
        response = queue_job(
            request, form=form, op=op, inputs=[asset], cleaned=cleaned, files=files
        )
        if response is not None:
            return response
    if form.is_bound:
        # An incomplete form (no mask painted yet) is still priced by what it says so far.
        form.is_valid()
        cleaned = {
            name: field.initial for name, field in form.fields.items() if field.initial is not None
        }
        cleaned.update(form.initial)
        cleaned.update(form.cleaned_data)
    else:
        cleaned = dict(form.initial)
    try:
        check = job_check(
            user=request.user,
            operation=op,
            params=op.build_params(cleaned, [asset]),
            inputs=[asset],
        )
    except ProviderError as exc:
        check = QuoteCheck(credits=0, label="—", allowed=False, reason=exc.user_message)
    if missing:
        check = QuoteCheck(credits=check.credits, label=check.label, allowed=False, reason=missing)
    context = {
        "asset": asset,
        "op": op,
        "form": form,
        "check": check,
        "verb": op.verb,
        # Shown under the disabled button to staff only (cost_button.html).
        "install_command": install_command,
        **(extra or {}),
    }
    if estimating:
        # Live estimate: only the cost button, re-rendered from the same quote and checks.
        return render(request, "components/cost_button.html", context)
    if not is_fragment(request):
        return render(request, template, context)
    response = render(request, f"{template}#op-form", context)
    if request.method == "POST":
        swap_into_self(response, "#op-form")
    return response


@login_required
def operation(request, asset_id, op_key):
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    op = _operation_or_404(op_key)
    template = op.template or "jobs/operation.html"
    extra = op.page_context(asset) if op.page_context else None
    return _run_operation_form(request, asset=asset, op=op, template=template, extra=extra)


# Fields the module start page's picker needs of each image.
_PICKER_FIELDS = (
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
)


def _module_or_404(key: str) -> registry.Module:
    try:
        module = registry.get_module(key)
    except KeyError:
        raise Http404("No such module") from None
    if not registry.operations(key):
        raise Http404("No such module")
    return module


@login_required
def module_start(request, *, module: str):
    """A module's page in the navigation: pick (or upload) the image to work on."""
    module_obj = _module_or_404(module)
    images = asset_list(owner=request.user).filter(kind="image").only(*_PICKER_FIELDS)
    page = Paginator(images, 24).get_page(request.GET.get("page"))
    return render(request, "jobs/module_start.html", {"module": module_obj, "page": page})


@login_required
def module_page(request, asset_id, *, module: str):
    """A module's studio page for one image: its operations as tabs, the chosen one's form
    (``?op=<key>``), the job area and the picture. Forms post to the pipeline's
    ``operation`` view, so every module runs through the same flow."""
    module_obj = _module_or_404(module)
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    module_ops = [op for op in registry.operations(module) if op.in_actions]
    op = next((o for o in module_ops if o.key == request.GET.get("op")), module_ops[0])
    template = module_obj.page_template or "jobs/module_page.html"
    extra = {"module": module_obj, "module_ops": module_ops}
    if op.page_context:
        extra.update(op.page_context(asset))
    return _run_operation_form(request, asset=asset, op=op, template=template, extra=extra)


@login_required
def job_detail(request, job_id):
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    if is_fragment(request):
        # The card polls itself while the job is active; its terminal render has no trigger.
        return render(request, "components/job_card.html", {"job": job, "fragment": True})
    return render(request, "jobs/job_detail.html", {"job": job})


@login_required
@require_POST
def job_cancel_view(request, job_id):
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    if not job_cancel(job=job):
        messages.info(request, "That job had already finished.")
    if is_fragment(request):
        return render(request, "components/job_card.html", {"job": job, "fragment": True})
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
        if is_fragment(request):
            return HttpResponseClientRedirect(job.get_absolute_url())
        return redirect(job)
    if is_fragment(request):
        return render(request, "components/job_card.html", {"job": new_job, "fragment": True})
    return redirect(new_job)


@login_required
def job_list_view(request):
    page = Paginator(job_list(owner=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "jobs/job_list.html", {"page": page})


@login_required
def job_download(request, job_id):
    """All of a job's outputs as one ZIP, streamed (never built in memory)."""
    job = job_get_for_owner(owner=request.user, public_id=job_id)
    outputs = job.live_outputs
    if not outputs:
        raise Http404("This job has no files")
    response = StreamingHttpResponse(zip_stream(outputs), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="{job.operation.replace(".", "-")}-{job.public_id.hex[:8]}.zip"'
    )
    return response
