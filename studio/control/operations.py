"""Control: sketch to image, structure (keep the composition), style guide (this image as
the style reference) and style transfer (this image's content in another image's style).

Each runs on the provider the model picker settles (Stability's control models today) and
its result is a new version of the control image.
"""

from __future__ import annotations

from typing import Any

from assets.models import Asset
from providers.base import Capability, InvalidInput, ProviderRequest
from studio.jobs.engines import engine_params
from studio.jobs.registry import Module, Operation, register, register_module
from studio.jobs.remote import module_in_plan, provider_runner, read_asset

from .forms import SketchForm, StructureForm, StyleGuideForm, StyleTransferForm

# Form fields that are the model's own parameters, passed through as they are.
MODEL_PARAMS = (
    "control_strength",
    "fidelity",
    "style_preset",
    "style_strength",
    "composition_fidelity",
    "change_strength",
)


def _expand(capability: Capability):
    settle = engine_params(capability)

    def expand(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        # An upload is kept with the job (a private file, not a library image) once the
        # job and its hold exist; an estimate never keeps it.
        params = {k: v for k, v in params.items() if k != "style_upload"}
        module_in_plan("control", "Control", inputs)
        return settle(params, inputs)

    return expand


def _style_bytes(params: dict[str, Any], inputs: list, files: dict) -> bytes:
    if "style_upload" in files:
        return files["style_upload"]  # uploaded with the form: a private file of the job
    owner = inputs[0].owner_id
    style = Asset.objects.filter(
        owner_id=owner, public_id=params.get("style_asset"), status=Asset.Status.READY
    ).first()
    if style is None:
        raise InvalidInput(
            "The style image is no longer in your library (deleted or in the trash)."
        )
    return read_asset(style)


def _build(spec, params: dict[str, Any], inputs: list, files: dict) -> ProviderRequest:
    request = ProviderRequest(
        capability=next(c for c in spec.capabilities if c.value.startswith(("control", "style"))),
        image=read_asset(inputs[0]),
        prompt=(params.get("prompt") or "").strip(),
        negative_prompt=(params.get("negative_prompt") or "").strip()
        if spec.accepts_negative_prompt
        else "",
        seed=int(params["seed"])
        if params.get("seed") not in (None, "") and spec.accepts_seed
        else None,
        output_format=params.get("format") or "png",
        aspect_ratio=params.get("aspect_ratio") or "",
        params={
            k: params[k] for k in MODEL_PARAMS if params.get(k) not in (None, "") and spec.param(k)
        },
    )
    if spec.id == "style-transfer":
        request.extra_images["style_image"] = _style_bytes(params, inputs, files)
    return request


register_module(
    Module(
        key="control",
        label="Control",
        order=35,
        description="Turn a sketch into a picture, keep a composition, or borrow a style.",
        action_label="Control",
        url_name="studio:control_start",
        asset_url_name="studio:control",
        page_template="control/page.html",
    )
)

_RUN = provider_runner(_build)


def _op(
    key: str, label: str, verb: str, progress: str, form, description: str, **extra
) -> Operation:
    return Operation(
        key=key,
        module="control",
        label=label,
        verb=verb,
        progress_message=progress,
        capability=form.capability,
        form_class=form,
        description=description,
        provider="stability",
        expand_params=_expand(form.capability),
        runner=_RUN,
        **extra,
    )


register(
    _op(
        "control.sketch",
        "Sketch to image",
        "Render sketch",
        "Rendering the sketch…",
        SketchForm,
        "This image is a sketch or line drawing; the prompt says what it becomes.",
    ),
    _op(
        "control.structure",
        "Structure",
        "Generate",
        "Generating with this composition…",
        StructureForm,
        "A new picture that keeps this one's composition and outlines.",
    ),
    _op(
        "control.style",
        "Style guide",
        "Generate",
        "Generating in this style…",
        StyleGuideForm,
        "A new picture of the prompt in this image's style.",
    ),
    _op(
        "control.style_transfer",
        "Style transfer",
        "Transfer style",
        "Transferring the style…",
        StyleTransferForm,
        "This image's content in the style of another image.",
        runner_takes_files=True,
    ),
)
