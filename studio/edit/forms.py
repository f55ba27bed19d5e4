"""Edit forms: the model picker, the operation's own fields and every parameter of the
models that can serve it. A parameter shows only for the models that take it: the engine
select carries, per choice, the fields to show (``data-engine-fields``), and the server
sends each model only what it declares."""

from __future__ import annotations

import json

from django import forms

from providers.base import Capability, ModelSpec
from studio.jobs.engines import AUTO, LOCAL, PROVIDER_KEYS, EngineFormMixin
from studio.jobs.forms import OperationForm
from studio.jobs.provider_health import app_registry
from studio.jobs.spec_forms import field_for
from studio.platforms import FORMATS as PLATFORM_FORMATS

from . import masks

_FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}
IMAGE_ACCEPT = "image/png,image/jpeg,image/webp"
# Stability's own mask growth is left at its default: masks are grown here, the same way
# for every model (``mask_grow``).
_NEVER_OFFERED = frozenset({"grow_mask"})
OUTPAINT_RATIOS = ("1:1", "4:5", "5:4", "3:2", "2:3", "16:9", "9:16", "21:9")


def _image_field(label: str, help_text: str = "", required: bool = False) -> forms.ImageField:
    return forms.ImageField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )


def prompt_field(label: str = "Prompt", *, required: bool = False, help_text: str = ""):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EditForm(EngineFormMixin, OperationForm):
    """Base of every Edit form. Subclasses set ``capability``, ``offline_model`` and
    ``uses_mask``, and declare their own fields; model parameters are added per instance
    from the engines the picker offers."""

    uses_mask: bool = False
    offline_only: bool = False
    # Model parameters this form offers in its own way (or not at all).
    exclude_params: frozenset[str] = frozenset()
    # Declared fields shown whatever the model (the others follow the model's spec).
    always: tuple[str, ...] = ("engine", "output_format")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.offline_only:
            self.engines = [e for e in self.engines if e.provider == LOCAL]
            self.fields["engine"].choices = [(e.value, e.label) for e in self.engines]
            self.fields["engine"].initial = self.engines[0].value if self.engines else AUTO
        specs = [e.spec for e in self.engines if e.spec is not None]
        self._spec_fields: list[str] = []
        for spec in specs:
            for param in spec.params:
                if (
                    param.type == "json"
                    or param.name in _NEVER_OFFERED
                    or param.name in self.exclude_params
                    or param.name in self.fields
                ):
                    continue
                field = field_for(param)
                field.required = False  # required for its own model: checked in clean()
                self.fields[param.name] = field
                self._spec_fields.append(param.name)
        formats: list[str] = []
        for spec in specs:
            formats += [f for f in spec.output_formats if f not in formats]
        formats = formats or ["png"]
        self.fields["output_format"] = forms.ChoiceField(
            choices=[(f, _FORMAT_LABELS.get(f, f)) for f in formats],
            initial=formats[0],
            label="File format",
        )
        self.fields["engine"].widget.attrs["data-engine-fields"] = json.dumps(
            self.visible_fields_by_engine()
        )
        if len(self.engines) <= 1 and not specs:
            self.fields["engine"].help_text = self.how_to_enable()

    # ------------------------------------------------------------------ visibility

    def _shows(self, name: str, spec: ModelSpec | None) -> bool:
        """Whether a declared (non-spec) field applies to ``spec`` (None: Auto)."""
        if spec is None:
            return True
        if name == "prompt":
            return spec.requires_prompt or spec.id in self.prompt_optional_models()
        if name == "negative_prompt":
            return spec.accepts_negative_prompt
        if name == "seed":
            return spec.accepts_seed
        return True

    def visible_fields_by_engine(self) -> dict[str, list[str]]:
        specs = [e.spec for e in self.engines if e.spec is not None]
        declared = [n for n in self.fields if n not in self._spec_fields]
        out: dict[str, list[str]] = {}
        for engine in self.engines:
            spec = engine.spec
            if spec is None:  # Auto: what every model takes
                names = set(self._spec_fields)
                for s in specs:
                    names &= {p.name for p in s.params}
                shown = [n for n in declared if self._shows_auto(n, specs)] + sorted(names)
            else:
                own = {p.name for p in spec.params}
                shown = [n for n in declared if self._shows(n, spec)]
                shown += [n for n in self._spec_fields if n in own]
            out[engine.value] = shown
        return out

    def _shows_auto(self, name: str, specs: list[ModelSpec]) -> bool:
        if name in ("negative_prompt", "seed"):
            return bool(specs) and all(self._shows(name, s) for s in specs)
        return True

    def how_to_enable(self) -> str:
        """Which API key would offer a model for this operation here."""
        names = []
        for provider in app_registry().all():
            if provider.name == LOCAL or provider.is_configured():
                continue
            if any(self.capability in s.capabilities for s in provider.models()):
                names.append(PROVIDER_KEYS.get(provider.name, provider.name))
        if not names:
            return ""
        return "No model on this server does this yet: set " + " or ".join(names) + "."

    # ------------------------------------------------------------------ validation

    def clean(self):
        cleaned = super().clean()
        engine = self.chosen_engine()
        specs = (
            [engine.spec]
            if engine.spec is not None
            else [e.spec for e in self.engines if e.spec is not None]
        )
        if engine.spec is not None and engine.spec.requires_prompt and "prompt" in self.fields:
            if not (cleaned.get("prompt") or "").strip():
                self.add_error("prompt", f"{engine.label} needs a prompt.")
        if specs:
            for name in self._spec_fields:
                if cleaned.get(name) in (None, ""):
                    param_required = [bool(s.param(name) and s.param(name).required) for s in specs]
                    if all(param_required):
                        self.add_error(name, "This field is required for this model.")
        # A model that doesn't take a parameter never gets it, even if the page sent it.
        if engine.spec is not None:
            own = {p.name for p in engine.spec.params}
            for name in self._spec_fields:
                if name not in own:
                    cleaned.pop(name, None)
        return cleaned

    def clean_mask(self):
        upload = self.cleaned_data.get("mask")
        if upload is None or self.asset is None:
            return upload
        upload.seek(0)
        masks.check_mask(upload.read(), (self.asset.width or 0, self.asset.height or 0))
        upload.seek(0)
        return upload


class MaskFields(forms.Form):
    mask = forms.FileField(
        label="Mask",
        help_text="Paint the area on the picture, or upload a black-and-white image the size of "
        "this one: white marks the area to change.",
        error_messages={"required": "A mask is required: paint the area to change."},
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    mask_grow = forms.IntegerField(
        label="Grow mask (px)", min_value=0, max_value=masks.MAX_GROW, initial=0, required=False
    )
    mask_feather = forms.IntegerField(
        label="Feather (px)",
        min_value=0,
        max_value=masks.MAX_FEATHER,
        initial=2,
        required=False,
        help_text="Softens the mask's edge so the change blends in.",
    )


class SeedField(forms.Form):
    seed = forms.IntegerField(
        label="Seed",
        min_value=0,
        max_value=2_147_483_647,
        required=False,
        help_text="Empty = random.",
    )


class RemoveBackgroundForm(EditForm):
    capability = Capability.REMOVE_BACKGROUND
    offline_model = "remove-background"


class InpaintForm(EditForm, MaskFields):
    capability = Capability.INPAINT
    offline_model = "erase"
    uses_mask = True

    prompt = prompt_field(
        "What to paint in the masked area",
        help_text="Leave empty to fill from the surroundings (offline).",
    )
    negative_prompt = forms.CharField(label="Avoid", required=False)
    seed = SeedField.base_fields["seed"]

    def _shows(self, name, spec):
        if spec is not None and spec.id == "erase" and name in ("prompt", "seed"):
            return False
        return super()._shows(name, spec)


class OutpaintForm(EditForm):
    capability = Capability.OUTPAINT
    offline_model = "outpaint"

    target = forms.ChoiceField(
        label="Or fit a shape",
        required=False,
        choices=[("", "Sides as set above")]
        + [(f"ratio:{r}", f"Aspect ratio {r}") for r in OUTPAINT_RATIOS]
        + [
            (f"format:{f.key}", f"{f.platform_label} · {f.name} ({f.aspect_label})")
            for f in PLATFORM_FORMATS
        ],
        help_text="Extends the shorter sides evenly until the picture has this shape.",
    )
    prompt = prompt_field("What the new area shows", help_text="Optional.")
    seed = SeedField.base_fields["seed"]

    def _shows(self, name, spec):
        if spec is not None and spec.id == "outpaint" and name == "prompt":
            # Stability's outpaint takes an optional prompt; the offline fill takes none.
            return "creativity" in {p.name for p in spec.params}
        return super()._shows(name, spec)


class EraseForm(EditForm, MaskFields):
    capability = Capability.ERASE
    offline_model = "erase"
    uses_mask = True
    seed = SeedField.base_fields["seed"]


class SearchReplaceForm(EditForm):
    capability = Capability.SEARCH_REPLACE
    prompt = prompt_field("Replace it with", required=True)
    negative_prompt = forms.CharField(label="Avoid", required=False)
    seed = SeedField.base_fields["seed"]


class SearchRecolorForm(EditForm):
    capability = Capability.SEARCH_RECOLOR
    prompt = prompt_field("New colour", required=True, help_text="Colour words: “deep red velvet”.")
    negative_prompt = forms.CharField(label="Avoid", required=False)
    seed = SeedField.base_fields["seed"]


class ReplaceBackgroundForm(EditForm):
    capability = Capability.REPLACE_BACKGROUND
    offline_model = "replace-background"
    exclude_params = frozenset({"background"})

    background_kind = forms.ChoiceField(
        label="New background",
        choices=[("color", "Colour"), ("gradient", "Gradient"), ("image", "Image")],
        initial="color",
        required=False,
    )
    background_reference = _image_field(
        "Background image", "Optional: a picture to put behind the subject."
    )
    light_reference = _image_field(
        "Light reference", "Optional: a picture whose lighting the result should follow."
    )
    seed = SeedField.base_fields["seed"]

    def _shows(self, name, spec):
        if spec is not None and name in ("background_kind",):
            return spec.id == "replace-background"
        if spec is not None and name == "light_reference":
            return spec.id != "replace-background"
        return super()._shows(name, spec)

    def clean(self):
        cleaned = super().clean()
        engine = self.chosen_engine()
        if engine.provider == LOCAL:
            kind = cleaned.get("background_kind") or "color"
            if kind == "image" and not cleaned.get("background_reference"):
                self.add_error("background_reference", "Upload the background image.")
            cleaned["background"] = kind
        cleaned.pop("background_kind", None)
        # Whether reference images came with the request (the files themselves travel as
        # the job's files): a provider needs a background prompt or image.
        cleaned["with_background_image"] = bool(cleaned.get("background_reference"))
        cleaned["with_light_reference"] = bool(cleaned.get("light_reference"))
        return cleaned


class PromptEditForm(EditForm):
    capability = Capability.PROMPT_EDIT
    prompt = prompt_field(
        "What to change", required=True, help_text="“Make it night”, “remove the people”."
    )


class RecolorForm(EditForm, MaskFields):
    capability = Capability.RECOLOR
    offline_model = "recolor"
    uses_mask = True
    offline_only = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "color" in self.fields:
            self.fields["color"].initial = "#d02020"
