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

from providers.base import (
    ModelSpec,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    ProviderUnavailable,
)

from .provider_health import app_registry

# build(spec, params, inputs) -> the request; finish(result, params, inputs) -> result.
Build = Callable[[ModelSpec, dict[str, Any], list], ProviderRequest]
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

    def run(*, params, inputs, progress, cancel, report=None) -> ProviderResult:
        registry = app_registry()
        provider_name = params.get("provider") or ""
        # The offline engine's model is named apart: plans never lock offline models.
        model_id = params.get("model") or params.get("offline_model") or ""
        if not provider_name or not model_id:
            raise ProviderError("This job has no model to run.")
        provider, spec = model_spec(provider_name, model_id, registry)
        request = build(spec, params, inputs)
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
