"""Create: prompt to images, and variations or refinements of an existing image."""

from __future__ import annotations

from typing import Any

from billing.services import subscription_for
from providers.base import Capability
from studio.jobs.forms import OperationForm
from studio.jobs.registry import Module, Operation, register, register_module

from . import services
from .forms import VaryForm


def _vary_params(params: dict[str, Any], inputs: list) -> dict[str, Any]:
    if not inputs:
        return params
    plan = subscription_for(user=inputs[0].owner).plan
    return services.build_vary_params(params, inputs, plan=plan)


def _variations(params: dict[str, Any]) -> int:
    return int(params.get("variations") or 1)


def _params_from_values(*, user, values: dict[str, str], memo: dict | None = None) -> dict:
    """Generation params from plain values (a batch row): the Create form's rules.

    ``memo`` carries what is the same for every row of one batch (models, personas, plan).
    """
    from django.core.exceptions import ValidationError

    from .forms import CreateForm
    from .models import Persona

    memo = {} if memo is None else memo
    if "engines" not in memo:
        memo["engines"] = services.engine_choices()
        memo["personas"] = list(Persona.objects.filter(owner=user))
        memo["plan"] = subscription_for(user=user).plan
    engines = memo["engines"]
    data = {"quality": "standard", "variations": "1", "engine": "auto", **values}
    model = (data.pop("model", "") or "").strip()
    if model:
        match = [k for k, _ in engines if k == model or k.split(":", 1)[-1] == model]
        if not match:
            raise ValidationError(f"Unknown model “{model}”.")
        data["engine"] = match[0]
    if not data.get("template") and not (data.get("width") and data.get("height")):
        data["template"] = "instagram-square"
    persona = (data.pop("persona", "") or "").strip()
    if persona:
        found = next((p for p in memo["personas"] if p.name.lower() == persona.lower()), None)
        if found is None:
            raise ValidationError(f"No persona called “{persona}”.")
        data["persona"] = str(found.public_id)
    form = memo.get("form")
    if form is None:
        # One form for all the rows: building its choices is most of a row's cost.
        form = memo["form"] = CreateForm(data={}, user=None, engines=engines)
        form.personas = memo["personas"]
        form.fields["persona"].choices = [("", "No persona")] + [
            (str(p.public_id), p.name) for p in memo["personas"]
        ]
    form.data, form._errors = data, None  # rebind: the next is_valid() cleans this row
    if not form.is_valid():
        raise ValidationError(
            [f"{k}: {m}" if k != "__all__" else m for k, ms in form.errors.items() for m in ms]
        )
    return services.build_generate_params(
        form.cleaned_data, persona=form.persona_obj(), plan=memo["plan"]
    )


register_module(
    Module(
        key="create",
        label="Create",
        order=10,
        description="Prompt to images with templates, styles and brand personas.",
        url_name="studio:create",
        action_label="Generate from this image",
    )
)
register(
    Operation(
        key="create.generate",
        module="create",
        label="Generate",
        verb="Generate",
        progress_message="Sending the prompt…",
        capability=Capability.TEXT_TO_IMAGE,
        form_class=OperationForm,
        description="Prompt to images with templates, styles and personas.",
        provider="",
        runner=services.run_generate,
        quantity=_variations,
        limits=lambda params, inputs: {
            "variations": _variations(params),
            "output_pixels": int(params.get("width") or 0) * int(params.get("height") or 0) or None,
        },
        in_actions=False,
        params_from_values=_params_from_values,
    ),
    Operation(
        key="create.vary",
        module="create",
        label="Variations & refine",
        verb="Make variations",
        progress_message="Sending the image…",
        capability=Capability.IMAGE_TO_IMAGE,
        form_class=VaryForm,
        description="More like this, or a new prompt applied to this image, with a strength.",
        provider="",
        price_key="create.generate",
        runner=services.run_generate,
        expand_params=_vary_params,
        quantity=_variations,
        limits=lambda params, inputs: {"variations": _variations(params)},
    ),
)
