"""Create Studio pages: the prompt form, live estimate, enhancement, recommendations, personas."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assets.selectors import asset_get_for_owner
from billing import services as billing
from imagestudio.htmx import is_fragment, swap_into_self
from providers.base import ProviderError
from studio.jobs import registry
from studio.jobs.models import Job
from studio.jobs.provider_health import app_registry
from studio.jobs.services import job_check
from studio.jobs.spec_forms import field_for
from studio.jobs.views import queue_job

from . import enhance, limits
from . import services as create
from .forms import CreateForm, PersonaForm
from .models import Persona
from .styles import CREATE_TEMPLATES, STYLE_PRESETS, get_style, get_template, template_recommend

PROVIDER_KEYS = [
    ("Stability AI", "STABILITY_API_KEY"),
    ("WaveSpeed (Ideogram, Qwen-Image)", "WAVESPEED_API_KEY"),
    ("Hugging Face (FLUX)", "HF_TOKEN"),
    ("Google Gemini", "GEMINI_API_KEY"),
    ("OpenAI (gpt-image-1)", "OPENAI_API_KEY"),
]


def _recent_templates(user) -> list[str]:
    keys = []
    for params in Job.objects.filter(owner=user, operation="create.generate").values_list(
        "params", flat=True
    )[:20]:
        key = (params or {}).get("template")
        if key and key not in keys:
            keys.append(key)
    return keys


def _uuid_or_none(value: str | None):

    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _recall_initial(request) -> dict:
    """Form values from an asset's stored recipe (``?recall=<asset id>``)."""
    if not request.GET.get("recall"):
        return {}
    asset_id = _uuid_or_none(request.GET["recall"])
    if asset_id is None:
        raise Http404("No such image")
    asset = asset_get_for_owner(owner=request.user, public_id=asset_id)
    recipe = asset.params or {}
    initial = {
        "prompt": recipe.get("prompt", asset.prompt),
        "negative_prompt": recipe.get("negative_prompt", ""),
        "template": recipe.get("template", ""),
        "style": recipe.get("style", ""),
        "persona": recipe.get("persona", ""),
        "quality": recipe.get("quality", "standard"),
        "width": recipe.get("width"),
        "height": recipe.get("height"),
        "variations": 1,
    }
    provider, model = recipe.get("provider"), recipe.get("model")
    if provider and model:
        initial["engine"] = f"{provider}:{model}"
    if request.GET.get("same_seed") == "1" and recipe.get("seed") is not None:
        initial["seed"] = recipe["seed"]
    initial["advanced"] = recipe.get("advanced") or {}
    return initial


def _plan(request):
    return billing.subscription_for(user=request.user).plan


def _params_or_check(request, cleaned: dict, persona=None):
    """Build the job params from cleaned form data, or return a denied QuoteCheck explaining
    why."""
    try:
        params = create.build_generate_params(cleaned, persona=persona, plan=_plan(request))
    except ProviderError as exc:
        return None, billing.QuoteCheck(
            credits=0, label="—", allowed=False, reason=exc.user_message
        )
    return params, None


def _priceable(form) -> dict | None:
    """What a quote needs from the form: its cleaned data, even while the prompt is still
    empty (the price doesn't depend on the words); None when something else is missing."""
    if form.is_valid():
        return form.cleaned_data
    if set(form.errors) == {"prompt"}:
        return {**form.cleaned_data, "prompt": ""}
    return None


def _quote(request, form) -> tuple[billing.QuoteCheck, str]:
    """(the cost button's check, the route note: Auto's choice and why) for ``form``."""
    cleaned = _priceable(form)
    if cleaned is None:
        errors = [e for name, errs in form.errors.items() if name != "prompt" for e in errs]
        reason = errors[0] if errors else "Check the form."
        return billing.QuoteCheck(credits=0, label="—", allowed=False, reason=reason), ""
    params, denied = _params_or_check(request, cleaned, form.persona_obj())
    if denied:
        return denied, ""
    check = job_check(
        user=request.user, operation=registry.get_operation("create.generate"), params=params
    )
    return check, params.get("reason", "")


def _bound_from_initial(request, initial: dict, engines) -> CreateForm:
    """A bound copy of the first render's form, to price it before the user types."""
    data = {}
    for name, field in CreateForm.base_fields.items():
        value = initial.get(name, field.initial)
        if value not in (None, ""):
            data[name] = value
    for name, value in (initial.get("advanced") or {}).items():
        data[f"adv_{name}"] = value
    return CreateForm(data, user=request.user, engines=engines, plan=_plan(request))


def _context(request, form, *, check=None, job=None, route_reason=""):
    op = registry.get_operation("create.generate")
    engines = create.generative_models()
    steps = form.variation_steps
    return {
        "form": form,
        "op": op,
        "check": check,
        "route_reason": route_reason,
        "verb": _verb(form),
        "job": job,
        "has_providers": bool(engines),
        "provider_keys": PROVIDER_KEYS,
        "styles": STYLE_PRESETS,
        "templates": CREATE_TEMPLATES,
        "recommended": template_recommend(
            form["prompt"].value() or "", recent=_recent_templates(request.user)
        ),
        "plan": form.plan,
        "variation_steps": steps,
        "variations_max": max((s.value for s in steps if not s.locked), default=1),
        "locked_variations": limits.locked_ranges(steps),
        "upgrade": limits.upgrade_help(),
    }


def _verb(form) -> str:
    raw = form["variations"].value() or 1
    try:
        n = int(raw)
    except (TypeError, ValueError):
        n = 1
    return f"Generate {n}" if n > 1 else "Generate"


@login_required
def create_page(request):
    engines = create.engine_choices()
    plan = _plan(request)
    if request.method == "POST":
        form = CreateForm(request.POST, user=request.user, engines=engines, plan=plan)
        check = None
        if request.GET.get("estimate") == "1":
            check, reason = _quote(request, form)
            return render(
                request,
                "create/create.html#estimate",
                {"check": check, "verb": _verb(form), "route_reason": reason, "oob": False},
            )
        if form.is_valid():
            params, denied = _params_or_check(request, form.cleaned_data, form.persona_obj())
            if denied:
                check = denied
                form.add_error(None, denied.reason)
            else:
                response = queue_job(
                    request,
                    form=form,
                    op=registry.get_operation("create.generate"),
                    inputs=[],
                    params=params,
                )
                if response is not None:
                    return response
                # Nothing was created: the form says why, the button is priced again below.
        quoted, reason = _quote(request, form)
        context = _context(request, form, check=check or quoted, route_reason=reason)
        if is_fragment(request):
            response = render(request, "create/create.html#create-form", context)
            swap_into_self(response, "#create-form")
            return response
        return render(request, "create/create.html", context)
    initial = _recall_initial(request)
    if not initial and _uuid_or_none(request.GET.get("persona")):
        persona = Persona.objects.filter(
            owner=request.user, public_id=_uuid_or_none(request.GET["persona"])
        ).first()
        if persona:
            initial = {
                "persona": str(persona.public_id),
                "template": persona.default_template,
                "style": persona.default_style,
            }
    initial.setdefault("template", "instagram-square")
    # Priced from the first render: the button shows what this form costs as it stands,
    # and the route note what Auto would pick, before the user changes anything.
    if create.generative_models():
        check, reason = _quote(request, _bound_from_initial(request, initial, engines))
    else:
        check = billing.QuoteCheck(
            credits=0, label="—", allowed=False, reason="Configure a provider to generate."
        )
        reason = ""
    advanced = initial.pop("advanced", {})
    form = CreateForm(initial=initial, user=request.user, engines=engines, plan=plan)
    context = _context(request, form, check=check, route_reason=reason)
    context["advanced_initial"] = advanced
    context["advanced_fields"] = _advanced_fields(initial.get("engine", "auto"), advanced)
    return render(request, "create/create.html", context)


def _advanced_fields(engine: str, values: dict | None = None) -> list:
    """Bound-looking fields for the chosen model's own parameters (none for Auto)."""
    spec = create.spec_for(engine)
    if spec is None:
        return []
    fields = []
    for param in spec.params:
        if param.name in create.MANAGED_PARAMS or param.type == "json":
            continue
        field = field_for(param)
        field.required = False
        value = (values or {}).get(param.name, param.default)
        fields.append(
            {
                "name": f"adv_{param.name}",
                "field": field,
                "value": value,
                "param": param,
                "widget": field.widget.render(
                    f"adv_{param.name}", value, attrs={"id": f"id_adv_{param.name}"}
                ),
            }
        )
    return fields


@login_required
def create_advanced(request):
    engine = request.GET.get("engine", "auto")
    return render(
        request,
        "create/create.html#advanced",
        {"advanced_fields": _advanced_fields(engine), "engine": engine},
    )


@login_required
def create_recommend(request):
    recommended = template_recommend(
        request.GET.get("prompt", ""), recent=_recent_templates(request.user)
    )
    return render(request, "create/create.html#recommend", {"recommended": recommended})


ENHANCE_LLM_PER_HOUR = 30


def _llm_allowed(user, provider: str) -> bool:
    """LLM rewrites use the operator's provider account: only on plans that include the
    provider, and at most ``ENHANCE_LLM_PER_HOUR`` an hour per user (then the local
    enhancer answers)."""

    plan = billing.subscription_for(user=user).plan
    if plan.allowed_providers and provider not in plan.allowed_providers:
        return False
    key = f"enhance-llm:{user.pk}"
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key) <= ENHANCE_LLM_PER_HOUR
    except ValueError:
        return False


@login_required
@require_POST
def create_enhance(request):
    """Rewrite the prompt in place; the user sees and can edit it before generating."""
    prompt = request.POST.get("prompt", "").strip()
    if not prompt:
        return render(
            request,
            "create/create.html#prompt-field",
            {"prompt_value": "", "enhance_error": "Write a prompt first, then enhance it."},
        )
    style = template = persona = None
    try:
        style = get_style(request.POST["style"]) if request.POST.get("style") else None
        template = get_template(request.POST["template"]) if request.POST.get("template") else None
    except KeyError:
        pass
    if _uuid_or_none(request.POST.get("persona")):
        persona = Persona.objects.filter(
            owner=request.user, public_id=request.POST["persona"]
        ).first()
    result = enhance.enhance(
        registry=app_registry(),
        prompt=prompt,
        negative=request.POST.get("negative_prompt", ""),
        style=style,
        persona=persona,
        template=template,
        allow_llm=lambda provider: _llm_allowed(request.user, provider),
    )
    return render(
        request,
        "create/create.html#prompt-field",
        {
            "prompt_value": result.prompt,
            "negative_value": result.negative,
            "enhanced_by": result.method,
        },
    )


# --------------------------------------------------------------------------- personas


@login_required
def persona_list(request):
    page = Paginator(Persona.objects.filter(owner=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "create/personas.html", {"page": page})


@login_required
def persona_edit(request, persona_id=None):
    persona = (
        get_object_or_404(Persona, owner=request.user, public_id=persona_id)
        if persona_id
        else Persona(owner=request.user)
    )
    form = PersonaForm(request.POST or None, instance=persona, owner=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.owner = request.user
        saved.full_clean()
        saved.save()
        messages.success(request, f"Saved persona {saved.name}.")
        return redirect("studio:persona_list")
    return render(request, "create/persona_form.html", {"form": form, "persona": persona})


@login_required
@require_POST
def persona_delete(request, persona_id):
    persona = get_object_or_404(Persona, owner=request.user, public_id=persona_id)
    persona.delete()
    messages.success(request, f"Deleted persona {persona.name}.")
    return redirect("studio:persona_list")
