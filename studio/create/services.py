"""Create: prompt to images. Routing, size mapping, variations with fallback, recipes."""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from providers.base import (
    Capability,
    ModelSpec,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    ProviderUnavailable,
)
from providers.local.metadata import embed_recipe
from providers.local.social import Target, render_pack
from studio.jobs.engines import plan_allows
from studio.jobs.provider_health import app_registry

from .enhance import compose_negative, compose_prompt
from .styles import get_style, get_template

logger = logging.getLogger(__name__)

MAX_PARALLEL = 3
# Parameters the form sets itself; the Advanced section never offers them.
MANAGED_PARAMS = {"style_preset", "strength", "style", "image", "mask"}


def generative_models(registry=None) -> list[tuple[Any, ModelSpec]]:
    """(provider, model) pairs that are configured and can make images from text."""
    registry = registry or app_registry()
    pairs = []
    for provider in registry.configured():
        if provider.name == "local":
            continue
        for spec in provider.models():
            if Capability.TEXT_TO_IMAGE in spec.capabilities:
                pairs.append((provider, spec))
    return pairs


def engine_choices(registry=None) -> list[tuple[str, str]]:
    choices = [("auto", "Auto (best price and health)")]
    for provider, spec in generative_models(registry):
        choices.append((f"{provider.name}:{spec.id}", f"{provider.label} · {spec.label}"))
    return choices


def spec_for(engine: str, registry=None) -> ModelSpec | None:
    if not engine or engine == "auto" or ":" not in engine:
        return None
    name, model_id = engine.split(":", 1)
    try:
        provider = (registry or app_registry()).get(name)
    except ProviderError:
        return None
    return next((s for s in provider.models() if s.id == model_id), None)


def _nearest_ratio(ratios: tuple[str, ...], width: int, height: int) -> str:
    target = width / height

    def distance(label: str) -> float:
        a, b = (int(x) for x in label.split(":"))
        return abs((a / b) / target - 1)

    return min(ratios, key=distance)


def size_request(spec: ModelSpec, width: int, height: int) -> dict[str, Any]:
    """How to ask ``spec`` for a ``width``×``height`` picture.

    Models with aspect-ratio enums get the nearest ratio; models with fixed sizes the
    nearest size; models with free sizes the requested shape scaled into their side limits
    (multiples of 16). The result is cropped to the exact size afterwards.
    """
    if spec.sizes:
        target = width / height
        w, h = min(spec.sizes, key=lambda s: abs((s[0] / s[1]) / target - 1))
        return {"width": w, "height": h}
    if spec.aspect_ratios:
        return {"aspect_ratio": _nearest_ratio(spec.aspect_ratios, width, height)}
    lo, hi = spec.min_side or 256, spec.max_side or 1536
    scale = min(1.0, hi / max(width, height))
    scale = max(scale, lo / min(width, height))
    w = max(lo, min(hi, int(width * scale) // 16 * 16))
    h = max(lo, min(hi, int(height * scale) // 16 * 16))
    return {"width": w, "height": h}


def build_generate_params(
    cleaned: dict[str, Any], *, persona=None, registry=None, plan=None
) -> dict[str, Any]:
    """Everything a generation job needs, decided now so the job is reproducible.

    Resolves Auto to ranked routes (with the human reason for the first), fixes a seed per
    variation, and composes the final prompt and negative prompt.
    """
    registry = registry or app_registry()
    template = get_template(cleaned["template"]) if cleaned.get("template") else None
    style = get_style(cleaned["style"]) if cleaned.get("style") else None
    width = int(cleaned.get("width") or (template.width if template else 1024))
    height = int(cleaned.get("height") or (template.height if template else 1024))
    quality = cleaned.get("quality") or (template.quality if template else "standard")
    engine = cleaned.get("engine") or "auto"
    variations = int(cleaned.get("variations") or 1)
    if engine == "auto":
        try:
            ranked = registry.rank(Capability.TEXT_TO_IMAGE, quality=quality)
        except ProviderUnavailable:
            ranked = []
        ranked = [r for r in ranked if r.provider.name != "local"]
        if not ranked:
            raise ProviderUnavailable("No configured provider can make images from text.")
        # Auto only routes to what the user's plan includes.
        routes = [r for r in ranked if plan_allows(plan, r.provider.name, r.model.id)][:3]
        if not routes:
            raise ProviderUnavailable(
                "Your plan does not include the configured providers. Upgrade on the Billing page."
            )
        reason = routes[0].reason
        if routes[0] is not ranked[0]:
            label = f"{registry.get(routes[0].provider.name).label} {routes[0].model.label}"
            reason = f"Auto: {label} — the best-ranked model your plan includes"
    else:
        name, model_id = engine.split(":", 1)
        spec = spec_for(engine, registry)
        if spec is None:
            raise ProviderUnavailable("That model is not available here.")
        routes = None
        reason = f"Chosen: {registry.get(name).label} {spec.label}"
    route_list = (
        [{"provider": r.provider.name, "model": r.model.id} for r in routes]
        if routes
        else [{"provider": engine.split(":", 1)[0], "model": engine.split(":", 1)[1]}]
    )
    first = route_list[0]
    seed = cleaned.get("seed")
    seeds = (
        [int(seed) + i for i in range(variations)]
        if seed not in (None, "")
        else [secrets.randbelow(2**31 - 1) + 1 for _ in range(variations)]
    )
    prompt = cleaned["prompt"].strip()
    negative = cleaned.get("negative_prompt", "").strip()
    return {
        "prompt": prompt,
        "negative_prompt": negative,
        "final_prompt": compose_prompt(
            prompt=prompt, style=style, persona=persona, template=template
        ),
        "final_negative": compose_negative(negative=negative, style=style, persona=persona),
        "template": template.key if template else "",
        "style": style.key if style else "",
        "persona": str(persona.public_id) if persona else "",
        "persona_name": persona.name if persona else "",
        "engine": engine,
        "provider": first["provider"],
        "model": first["model"],
        "routes": route_list,
        "reason": reason,
        "quality": quality,
        "tier": "",
        "width": width,
        "height": height,
        "variations": variations,
        "seeds": seeds,
        "advanced": dict(cleaned.get("advanced") or {}),
        "source_asset": cleaned.get("source_asset", ""),
    }


def _request_for(
    spec: ModelSpec, params: dict[str, Any], seed: int, image: bytes | None = None
) -> ProviderRequest:
    """A generation request (from text, or from ``image``) shaped to what the model accepts."""
    capability = Capability(params.get("capability") or Capability.TEXT_TO_IMAGE)
    style = get_style(params["style"]) if params.get("style") else None
    extra: dict[str, Any] = {}
    names = {p.name for p in spec.params}
    if style and "style_preset" in names and style.stability:
        extra["style_preset"] = style.stability
    if style and "style" in names and style.ideogram:
        extra["style"] = style.ideogram
    for name, value in (params.get("advanced") or {}).items():
        if name in names and name not in MANAGED_PARAMS:
            extra[name] = value
    if image is not None and "strength" in params:
        if "strength" in names:
            extra["strength"] = params["strength"]
        elif "control_strength" in names:
            # Preserving structure: the more the image may change, the looser the control.
            extra["control_strength"] = round(1 - params["strength"], 3)
    size = size_request(spec, params["width"], params["height"]) if image is None else {}
    return ProviderRequest(
        capability=capability,
        image=image,
        model=spec.id,
        prompt=params["final_prompt"],
        negative_prompt=params["final_negative"] if spec.accepts_negative_prompt else "",
        seed=seed if spec.accepts_seed else None,
        output_format="png"
        if (not spec.output_formats or "png" in spec.output_formats)
        else spec.output_formats[0],
        width=size.get("width"),
        height=size.get("height"),
        aspect_ratio=size.get("aspect_ratio", ""),
        params=extra,
    )


def _finish(
    output: ProviderOutput,
    params: dict[str, Any],
    *,
    provider: str,
    model: str,
    seed: int,
    index: int,
) -> ProviderOutput:
    """Crop to the exact template size, then embed the recipe and the AI marker."""
    with output.open() as fh:
        data = fh.read()
    w, h = params["width"], params["height"]
    [exact] = render_pack(data, [Target("exact", w, h)], mode="centre", fmt="png", workers=1)
    recipe = {
        "prompt": params["prompt"],
        "negative_prompt": params["negative_prompt"],
        "final_prompt": params["final_prompt"],
        "template": params["template"],
        "style": params["style"],
        "persona": params["persona"],
        "provider": provider,
        "model": model,
        "seed": seed,
        "width": w,
        "height": h,
        "quality": params["quality"],
        "advanced": params.get("advanced") or {},
        "ai_generated": True,
    }
    data, content_type, ext = embed_recipe(exact.data, recipe)
    title = params["prompt"][:60] + (f" #{index + 1}" if params["variations"] > 1 else "")
    return ProviderOutput(
        content_type=content_type,
        data=data,
        width=w,
        height=h,
        seed=seed,
        extension=ext,
        meta={
            "title": title,
            "prompt": params["final_prompt"],
            "negative_prompt": params["final_negative"],
            "provider": provider,
            "model": model,
            "recipe": recipe,
            "ai_generated": True,
        },
    )


def run_generate(
    *, params: dict[str, Any], inputs: list, progress, cancel, report=None
) -> ProviderResult:
    """Make every variation, at most ``MAX_PARALLEL`` provider calls at a time.

    With Auto, a variation moves on to the next ranked route when its provider fails
    transiently or refuses the model or its parameters (``Registry.execute_routes``); the
    routes left and why are kept in ``meta["route_notes"]``. Returns the successful images; ``meta`` says how many are billable and which
    variations failed and why. Raises the first error if none succeeded.
    """
    registry = app_registry()
    routes = params["routes"] if params.get("engine") == "auto" else params["routes"][:1]
    n = params["variations"]
    image = None
    if params.get("capability", Capability.TEXT_TO_IMAGE) != Capability.TEXT_TO_IMAGE and inputs:
        with inputs[0].file.open("rb") as fh:
            image = fh.read()

    skipped: dict[int, list[dict[str, str]]] = {}

    def one(index: int) -> tuple[int, ProviderOutput | None, str]:
        seed = params["seeds"][index]
        try:
            result = registry.execute_routes(
                [(route["provider"], route["model"]) for route in routes],
                lambda spec: _request_for(spec, params, seed, image),
            )
            if not result.outputs:
                raise ProviderError("The provider returned no image.", provider=result.provider)
        except ProviderError as exc:
            return index, None, exc.user_message
        skipped[index] = result.meta.get("skipped_routes", [])
        out = _finish(
            result.outputs[0],
            params,
            provider=result.provider,
            model=result.model,
            seed=seed,
            index=index,
        )
        return index, out, ""

    results: dict[int, ProviderOutput] = {}
    failures: dict[int, str] = {}
    # One state per variation for the progress cards: queued → running → done / failed.
    states = ["running" if i < MAX_PARALLEL else "queued" for i in range(n)]

    def publish() -> None:
        if report is not None:
            report(
                [
                    {"n": i + 1, "state": st, "error": failures.get(i, "")}
                    for i, st in enumerate(states)
                ]
            )

    publish()
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, n)) as pool:
        futures = [pool.submit(one, i) for i in range(n)]
        for done, future in enumerate(as_completed(futures), start=1):
            index, output, error = future.result()
            if output is not None:
                results[index] = output
            else:
                failures[index] = error
            states[index] = "done" if output is not None else "failed"
            if "queued" in states:
                states[states.index("queued")] = "running"
            publish()
            progress(
                int(100 * done / n), f"Generated {len(results)} of {n}…" if n > 1 else "Finishing…"
            )
            if cancel():
                for f in futures:
                    f.cancel()
                break
    if not results:
        reasons = sorted(set(failures.values())) or ["No variation could be made."]
        raise ProviderError(" ".join(reasons))
    outputs = [results[i] for i in sorted(results)]
    used = {(o.meta["provider"], o.meta["model"]) for o in outputs}
    return ProviderResult(
        provider=outputs[0].meta["provider"],
        model=outputs[0].meta["model"],
        outputs=outputs,
        meta={
            "billable_units": len(outputs),
            "failed": [{"variation": i + 1, "error": e} for i, e in sorted(failures.items())],
            "reason": params.get("reason", ""),
            "fallback_used": any(p != params["provider"] for p, _ in used),
            "route_notes": sorted({s["reason"] for notes in skipped.values() for s in notes}),
            "provider_used": outputs[0].meta["provider"],
        },
    )


def build_vary_params(
    cleaned: dict[str, Any], inputs: list, *, plan=None, registry=None
) -> dict[str, Any]:
    """Params for "more like this" / refine of an existing image (image-to-image).

    With ``preserve_structure`` the image's structure drives a control model; otherwise the
    image seeds an image-to-image model at ``strength`` (how much may change).
    """
    registry = registry or app_registry()
    source = inputs[0]
    capability = (
        Capability.CONTROL_STRUCTURE
        if cleaned.get("preserve_structure")
        else Capability.IMAGE_TO_IMAGE
    )
    engine = cleaned.get("engine") or "auto"
    try:
        ranked = registry.rank(capability, quality=cleaned.get("quality") or "standard")
    except ProviderUnavailable:
        ranked = []
    if engine != "auto":
        ranked = [r for r in ranked if f"{r.provider.name}:{r.model.id}" == engine]
    routes = [
        r
        for r in ranked
        if r.provider.name != "local" and plan_allows(plan, r.provider.name, r.model.id)
    ][:3]
    if not routes:
        what = "keep the structure of" if capability == Capability.CONTROL_STRUCTURE else "vary"
        raise ProviderUnavailable(
            f"No configured provider in your plan can {what} an image. Set STABILITY_API_KEY to enable it."
        )
    variations = int(cleaned.get("variations") or 1)
    seeds = [secrets.randbelow(2**31 - 1) + 1 for _ in range(variations)]
    prompt = (cleaned.get("prompt") or source.prompt or source.display_title).strip()
    recipe = source.params or {}
    return {
        "capability": capability.value,
        "prompt": prompt,
        "negative_prompt": cleaned.get("negative_prompt", ""),
        "final_prompt": prompt,
        "final_negative": cleaned.get("negative_prompt", ""),
        "template": recipe.get("template", ""),
        "style": recipe.get("style", ""),
        "persona": recipe.get("persona", ""),
        "persona_name": "",
        "engine": "auto" if engine == "auto" else engine,
        "provider": routes[0].provider.name,
        "model": routes[0].model.id,
        "routes": [{"provider": r.provider.name, "model": r.model.id} for r in routes],
        "reason": routes[0].reason,
        "quality": cleaned.get("quality") or "standard",
        "tier": "",
        "width": source.width,
        "height": source.height,
        "variations": variations,
        "seeds": seeds,
        "strength": float(cleaned.get("strength") or 0.35),
        "preserve_structure": bool(cleaned.get("preserve_structure")),
        "advanced": {},
        "source_asset": str(source.public_id),
    }
