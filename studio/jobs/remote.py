"""Running one provider request for a catalog operation, shared by Upscale, Control and
Transform.

The operation's ``expand_params`` hook (``studio.jobs.engines.engine_params`` or a module's
own) has settled ``provider``, ``model`` and ``routes`` before anything was held; the runner
builds the request the model takes (prompt, negative prompt, seed, extra images such as a
style image or a soundtrack) and runs it through the registry, so provider health is
recorded like every other call. Only the first route runs: the job was quoted and held for
that model, so a fallback to another price is never silently charged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.models import Plan
from billing.services import subscription_for
from providers.base import (
    ModelSpec,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    ProviderUnavailable,
)

from .provider_health import app_registry

# build(spec, params, inputs, files) -> the request; finish(result, params, inputs) -> result.
# ``files`` are the job's private input files by role (an uploaded style image, a recording).
Build = Callable[[ModelSpec, dict[str, Any], list, dict[str, bytes]], ProviderRequest]
Finish = Callable[[ProviderResult, dict[str, Any], list], ProviderResult]


def read_asset(asset) -> bytes:
    with asset.file.open("rb") as fh:
        return fh.read()


def model_spec(provider_name: str, model_id: str, registry=None) -> tuple[Any, ModelSpec]:
    registry = registry or app_registry()
    provider = registry.get(provider_name)
    spec = next((s for s in provider.models() if s.id == model_id), None)
    if spec is None:
        raise ProviderUnavailable("That model is no longer offered by the provider.")
    return provider, spec


def provider_runner(build: Build, finish: Finish | None = None):
    """An ``Operation.runner`` that runs the job's settled model with a built request."""

    def run(*, params, inputs, progress, cancel, report=None, files=None) -> ProviderResult:
        registry = app_registry()
        provider_name = params.get("provider") or ""
        # The offline engine's model is named apart: plans never lock offline models.
        model_id = params.get("model") or params.get("offline_model") or ""
        if not provider_name or not model_id:
            raise ProviderError("This job has no model to run.")
        provider, spec = model_spec(provider_name, model_id, registry)
        request = build(spec, params, inputs, dict(files or {}))
        request.model = spec.id
        result = registry.execute(provider, request, progress=progress, cancel=cancel)
        if not result.outputs:
            raise ProviderError(f"{provider.label} returned no result.", provider=provider.name)
        if finish is not None:
            result = finish(result, params, inputs)
        for output in result.outputs:
            output.meta.setdefault("provider", provider.name)
            output.meta.setdefault("model", spec.id)
        result.meta.setdefault("provider_used", provider.name)
        result.meta.setdefault("reason", params.get("reason", ""))
        return result

    return run


def input_problem(width: int, height: int, limits, *, what: str = "This image") -> str:
    """Why a ``width``×``height`` picture breaks a model's ``InputLimits``, in plain words."""
    if limits is None or not (width and height):
        return ""
    pixels = width * height
    if limits.min_side and min(width, height) < limits.min_side:
        return f"{what} is {width}×{height} px; this model needs at least {limits.min_side} px on each side."
    if limits.min_pixels and pixels < limits.min_pixels:
        return f"{what} is {width}×{height} px; this model needs at least {limits.min_pixels:,} pixels."
    if limits.max_pixels and pixels > limits.max_pixels:
        return (
            f"{what} is {width}×{height} px ({pixels / 1e6:.1f} MP); this model takes at most "
            f"{limits.max_pixels / 1e6:.1f} MP. Resize it first (Tools → Resize)."
        )
    if limits.max_side and max(width, height) > limits.max_side:
        return f"{what} is {width}×{height} px; this model takes at most {limits.max_side} px on a side."
    if (
        getattr(limits, "max_aspect", None)
        and max(width, height) / min(width, height) > limits.max_aspect
    ):
        return f"{what} is {width}×{height} px; this model takes shapes up to {limits.max_aspect:g}:1. Crop it first."
    return ""


def module_in_plan(module: str, label: str, inputs: list) -> None:
    """Raise ``ProviderUnavailable`` (shown on the form and the button, nothing held) when
    the owner's plan lacks ``module``: said before any model question comes up."""
    if not inputs:
        return
    plan = subscription_for(user=inputs[0].owner).plan
    if plan.allows("allowed_modules", module):
        return
    upgrade = (
        Plan.objects.filter(is_active=True, position__gt=plan.position)
        .order_by("position")
        .only("name", "allowed_modules")
    )
    better = next((p for p in upgrade if p.allows("allowed_modules", module)), None)
    offer = f" Upgrade to {better.name} to use it." if better else ""
    raise ProviderUnavailable(f"Your {plan.name} plan doesn't include {label}.{offer}")
