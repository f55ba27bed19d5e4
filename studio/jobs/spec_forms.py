"""Forms built from a model's declared parameters, so a form shows exactly what it accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from media import FORMATS
from providers.base import ModelSpec, ParamSpec
from providers.local import LocalEngine

from .forms import OperationForm
from .registry import Operation

_FORMAT_LABELS = {f.key: f.label for f in FORMATS.values()}


def field_for(param: ParamSpec) -> forms.Field:
    """A Django form field matching one ParamSpec (type, bounds, choices, default)."""
    common = {
        "label": param.label or param.name.replace("_", " ").capitalize(),
        "required": param.required,
        "initial": param.default,
        "help_text": param.help,
    }
    if param.type == "int":
        return forms.IntegerField(min_value=param.min, max_value=param.max, **common)
    if param.type == "float":
        return forms.FloatField(min_value=param.min, max_value=param.max, **common)
    if param.type == "bool":
        common["required"] = False
        return forms.BooleanField(**common)
    if param.type == "enum":
        return forms.ChoiceField(
            choices=[
                (c, c.replace("-", " ").replace("_", " ").capitalize()) for c in param.choices
            ],
            **common,
        )
    if "color" in param.name or "colour" in param.name:
        return forms.RegexField(
            regex=r"^#[0-9a-fA-F]{6}$",
            widget=forms.TextInput(attrs={"type": "color"}),
            error_messages={"invalid": "Use a colour like #1a2b3c."},
            **common,
        )
    return forms.CharField(max_length=int(param.max) if param.max else None, **common)


def spec_form_class(spec: ModelSpec, *, exclude: tuple[str, ...] = ()) -> type[OperationForm]:
    """An OperationForm subclass with one field per parameter of ``spec``.

    Adds ``output_format`` when the model offers a choice, and a ``mask`` upload when the
    model needs one (white = the area to change).
    """
    fields: dict[str, forms.Field] = {}
    for param in spec.params:
        if param.name not in exclude and param.type != "json":
            fields[param.name] = field_for(param)
    if len(spec.output_formats) > 1:
        fields["output_format"] = forms.ChoiceField(
            choices=[(f, _FORMAT_LABELS.get(f, f)) for f in spec.output_formats],
            initial=spec.output_formats[0],
            label="File format",
        )
    if spec.requires_mask:
        fields["mask"] = forms.ImageField(
            label="Mask",
            help_text="A black-and-white image the size of this one: white marks the area to change.",
            error_messages={
                "required": "A mask is required: upload one where white marks the area to change."
            },
            widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        )
    return type(f"{spec.id.title().replace('-', '')}Form", (OperationForm,), fields)


def local_operation(
    key: str,
    model: str,
    *,
    label: str,
    verb: str,
    progress: str,
    description: str,
    limits: Callable[[dict[str, Any], list], dict[str, Any]] | None = None,
) -> Operation:
    """An operation served by one local-engine model, its form built from the model's params."""
    spec = LocalEngine().model(model)
    return Operation(
        key=key,
        module=key.split(".", 1)[0],
        label=label,
        verb=verb,
        progress_message=progress,
        capability=next(iter(sorted(spec.capabilities))),
        form_class=spec_form_class(spec),
        description=description,
        model=model,
        uses_mask=spec.requires_mask,
        limits=limits or (lambda params, inputs: {}),
    )


def input_size(inputs: list) -> tuple[int, int]:
    """Width and height of the first input asset, (0, 0) when unknown."""
    return (inputs[0].width or 0, inputs[0].height or 0) if inputs else (0, 0)
