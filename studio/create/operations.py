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
