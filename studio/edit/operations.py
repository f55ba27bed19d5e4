"""Edit: every edit of one picture, through the providers' edit models and offline.

Each operation has the model picker (Auto, each configured model with the capability,
Offline where the local engine has it). Masks are the job's private files, grown and
feathered here by the user's settings before the model gets them.
"""

from __future__ import annotations

from studio.jobs.registry import Module, Operation, register, register_module

from . import forms, masks, services


def _page_context(asset) -> dict:
    return {"recent_masks": services.recent_masks(asset=asset)}


register_module(
    Module(
        key="edit",
        label="Edit",
        order=20,
        description="Paint a mask and inpaint, erase, extend, replace or recolour, "
        "with the providers' edit models or offline.",
        action_label="Edit",
        url_name="studio:edit_start",
        asset_url_name="studio:edit",
        page_template="edit/edit.html",
    )
)


def _op(
    key: str,
    form_class: type[forms.EditForm],
    *,
    label: str,
    verb: str,
    progress: str,
    description: str,
    **extra,
) -> Operation:
    capability = form_class.capability
    return Operation(
        key=key,
        module="edit",
        label=label,
        verb=verb,
        progress_message=progress,
        capability=capability,
        form_class=form_class,
        description=description,
        uses_mask=form_class.uses_mask,
        prepare_mask=masks.prepare_mask if form_class.uses_mask else None,
        expand_params=services.edit_params(
            capability,
            offline_model=form_class.offline_model,
            needs_mask=form_class.uses_mask,
            before=extra.pop("before", None),
        ),
        page_context=_page_context,
        **extra,
    )


register(
    _op(
        "edit.inpaint",
        forms.InpaintForm,
        label="Inpaint",
        verb="Inpaint",
        progress="Painting the masked area…",
        description="Paint the area, describe what goes there. Without a prompt the area is "
        "filled from its surroundings offline.",
    ),
    _op(
        "edit.erase",
        forms.EraseForm,
        label="Erase object",
        verb="Erase",
        progress="Filling the area…",
        description="Removes what the mask covers and fills it from the surroundings. Offline, "
        "large holes over detailed areas may repeat texture.",
    ),
    _op(
        "edit.remove_background",
        forms.RemoveBackgroundForm,
        label="Remove background",
        verb="Remove background",
        progress="Cutting out the subject…",
        description="Cuts the subject out onto transparency.",
    ),
    _op(
        "edit.replace_background",
        forms.ReplaceBackgroundForm,
        label="Replace background",
        verb="Replace",
        progress="Replacing the background and relighting…",
        description="A new background from words or a picture, with the subject relit to match. "
        "Offline: a colour, gradient or picture behind the cut-out.",
    ),
    _op(
        "edit.outpaint",
        forms.OutpaintForm,
        label="Extend canvas",
        verb="Extend",
        progress="Extending the canvas…",
        description="Adds pixels on any side, or up to a shape or platform format.",
        before=services.outpaint_sides,
        limits=services.outpaint_limits,
    ),
    _op(
        "edit.search_replace",
        forms.SearchReplaceForm,
        label="Search & replace",
        verb="Replace",
        progress="Finding and replacing…",
        description="Name what to find; it is replaced by what you describe. No mask needed.",
    ),
    _op(
        "edit.search_recolor",
        forms.SearchRecolorForm,
        label="Search & recolour",
        verb="Recolour",
        progress="Finding and recolouring…",
        description="Name what to select and the colour it should take. No mask needed.",
    ),
    _op(
        "edit.prompt_edit",
        forms.PromptEditForm,
        label="Prompt edit",
        verb="Edit",
        progress="Editing from your words…",
        description="Say what to change: “make it night”, “remove the people”.",
    ),
    _op(
        "edit.recolor",
        forms.RecolorForm,
        label="Recolour area",
        verb="Recolour",
        progress="Recolouring…",
        description="Moves the masked area to a new colour, keeping its shading (offline).",
    ),
)
