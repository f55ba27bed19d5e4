"""The model picker every studio page shares: Auto, each configured provider model that
has the operation's capability, and Offline where the local engine has it.

An operation form that mixes in ``EngineFormMixin`` gets an ``engine`` field; the
operation's ``expand_params`` hook (``engine_params``) turns the choice into the job's
``provider``, ``model``, ``reason`` and fallback ``routes`` before anything is held, so the
cost button, the hold and the capture price the same model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from billing.services import subscription_for
from providers.base import Capability, ModelSpec, ProviderError, ProviderUnavailable

from .provider_health import app_registry

AUTO = "auto"
LOCAL = "local"
# Which environment variable turns a provider on, for "how do I get this" messages.
PROVIDER_KEYS = {
    "stability": "STABILITY_API_KEY",
    "wavespeed": "WAVESPEED_API_KEY",
    "huggingface": "HF_TOKEN",
    "gemini": "GEMINI_API_KEY",
    "openai": "OPENAI_API_KEY",
}


@dataclass(frozen=True)
class Engine:
    """One entry of the picker."""

    value: str  # "auto", "local:<model>" or "<provider>:<model>"
    label: str
    provider: str = ""
    spec: ModelSpec | None = None

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.spec.params) if self.spec else frozenset()


def plan_allows(plan, provider: str, model: str) -> bool:
    """Whether ``plan`` includes this provider and model (no plan: everything)."""
    if plan is None or provider == LOCAL:
        return True
    providers = plan.allowed_providers or []
    models = getattr(plan, "allowed_models", None) or []
    return (not providers or provider in providers) and (not models or model in models)


def engines_for(capability: Capability, *, offline_model: str = "", registry=None) -> list[Engine]:
    """Auto, then every configured provider model with ``capability``, then Offline."""
    registry = registry or app_registry()
    found = [Engine(AUTO, "Auto (best price and health)")]
    for provider in registry.configured():
        if provider.name == LOCAL:
            continue
        for spec in provider.models():
            if capability in spec.capabilities:
                found.append(
                    Engine(
                        f"{provider.name}:{spec.id}",
                        f"{provider.label} · {spec.label}",
                        provider=provider.name,
                        spec=spec,
                    )
                )
    if offline_model:
        try:
            spec = registry.get(LOCAL).model(offline_model)
        except (ProviderError, KeyError):
            spec = None
        if spec is not None:
            found.append(Engine(f"{LOCAL}:{offline_model}", "Offline (this server)", LOCAL, spec))
    return found


def engine_params(
    capability: Capability,
    *,
    offline_model: str = "",
    needs_mask: bool = False,
    registry=None,
) -> Callable[[dict[str, Any], list], dict[str, Any]]:
    """An ``expand_params`` hook that settles the engine choice into the job's params.

    Raises ``ProviderUnavailable`` (shown on the form, nothing held) when the choice is not
    available or nothing in the user's plan can serve the capability.
    """

    def expand(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        out = dict(params)
        choice = out.pop("engine", "") or AUTO
        owner = inputs[0].owner if inputs else None
        plan = subscription_for(user=owner).plan if owner is not None else None
        reg = registry or app_registry()
        options = [
            e
            for e in engines_for(capability, offline_model=offline_model, registry=reg)
            if e.value != AUTO and plan_allows(plan, e.provider, e.spec.id)
        ]
        if choice != AUTO:
            picked = next((e for e in options if e.value == choice), None)
            if picked is None:
                raise ProviderUnavailable("That model is not available on your plan or server.")
            out.update(provider=picked.provider, model=picked.spec.id, reason="Chosen by you")
            out["routes"] = [{"provider": picked.provider, "model": picked.spec.id}]
            return out
        routes: list[dict[str, str]] = []
        reason = ""
        try:
            ranked = reg.rank(capability, needs_mask=needs_mask)
        except ProviderUnavailable:
            ranked = []
        for route in ranked:
            if route.provider.name == LOCAL or not plan_allows(
                plan, route.provider.name, route.model.id
            ):
                continue
            routes.append({"provider": route.provider.name, "model": route.model.id})
            reason = reason or route.reason
        offline = next((e for e in options if e.provider == LOCAL), None)
        if offline is not None:
            routes.append({"provider": LOCAL, "model": offline.spec.id})
            reason = reason or "Auto: offline on this server — no provider in your plan does this"
        if not routes:
            what = capability.value.replace("_", " ")
            raise ProviderUnavailable(f"No provider in your plan can do {what} on this server.")
        out.update(routes=routes, reason=reason, **routes[0])
        return out

    return expand


class EngineFormMixin(forms.Form):
    """Adds the model picker. The form class sets ``capability`` and ``offline_model``."""

    capability: Capability
    offline_model: str = ""

    engine = forms.ChoiceField(label="Model", initial=AUTO, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.engines = engines_for(self.capability, offline_model=self.offline_model)
        self.fields["engine"].choices = [(e.value, e.label) for e in self.engines]

    def chosen_engine(self) -> Engine:
        value = (self.data.get("engine") if self.is_bound else self.initial.get("engine")) or AUTO
        return next((e for e in self.engines if e.value == value), self.engines[0])
