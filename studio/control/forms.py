"""Control forms: a prompt, the control's own slider with a thumbnail of the input it
weighs, negative prompt, aspect ratio, style preset and seed; style transfer adds the style
image (picked from the library or uploaded)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from assets.models import Asset
from assets.validation import inspect_image
from providers.base import Capability
from providers.stability import ASPECT_RATIOS, ROUTES, STYLE_PRESETS
from studio.jobs.engines import EngineFormMixin
from studio.jobs.forms import OperationForm
from studio.jobs.remote import input_problem

from .widgets import ThumbRange

SEED_MAX = 4_294_967_294
FORMATS = (("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WebP"))


def limits_problem(width: int, height: int, model: str, *, what: str = "This image") -> str:
    """Why a ``width``×``height`` picture can't go to Stability's ``model``, or ""."""
    return input_problem(width, height, ROUTES[model].limits, what=what)


class ControlForm(EngineFormMixin, OperationForm):
    """The fields every control operation shares. Subclasses name their slider."""

    model_id: str = ""
    slider: str = ""
    slider_label: str = ""
    slider_default: float = 0.7
    slider_range: tuple[float, float] = (0.0, 1.0)
    slider_help: str = ""
    prompt_required = True

    prompt = forms.CharField(
        label="Prompt", max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    negative_prompt = forms.CharField(label="Negative prompt", required=False, max_length=10_000)
    style_preset = forms.ChoiceField(
        label="Style preset",
        required=False,
        choices=[("", "None"), *((s, s.replace("-", " ").capitalize()) for s in STYLE_PRESETS)],
    )
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        min_value=0,
        max_value=SEED_MAX,
        help_text="Empty: a new one each run.",
    )
    format = forms.ChoiceField(label="File format", choices=FORMATS, initial="png")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt"].required = self.prompt_required
        if self.slider:
            low, high = self.slider_range
            widget = ThumbRange(low=low, high=high)
            if self.asset is not None:
                widget.thumb_url = self.asset.thumbnail_url()
                widget.thumb_alt = f"Input: {self.asset.alt_text}"
            self.fields[self.slider] = forms.FloatField(
                label=self.slider_label,
                min_value=low,
                max_value=high,
                initial=self.slider_default,
                required=False,
                widget=widget,
                help_text=self.slider_help,
            )
            self.order_fields(["engine", "prompt", self.slider])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.asset is not None and self.model_id:
            problem = limits_problem(self.asset.width or 0, self.asset.height or 0, self.model_id)
            if problem:
                raise ValidationError(problem)
        return cleaned


class SketchForm(ControlForm):
    capability = Capability.CONTROL_SKETCH
    model_id = "control-sketch"
    slider = "control_strength"
    slider_label = "Control strength"
    slider_help = "How closely the result follows the sketch's lines."


class StructureForm(ControlForm):
    capability = Capability.CONTROL_STRUCTURE
    model_id = "control-structure"
    slider = "control_strength"
    slider_label = "Control strength"
    slider_help = "How closely the result keeps this picture's composition."


class StyleGuideForm(ControlForm):
    capability = Capability.CONTROL_STYLE
    model_id = "control-style"
    slider = "fidelity"
    slider_label = "Fidelity"
    slider_default = 0.5
    slider_help = "How closely the result follows this image's style."

    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio",
        required=False,
        choices=[("", "Like this image")] + [(r, r) for r in ASPECT_RATIOS],
    )


def _library_images(owner, exclude_pk=None):
    images = Asset.objects.filter(owner=owner, kind=Asset.Kind.IMAGE, status=Asset.Status.READY)
    if exclude_pk:
        images = images.exclude(pk=exclude_pk)
    return images.order_by("-created_at")[:60]


class StyleTransferForm(ControlForm):
    capability = Capability.STYLE_TRANSFER
    model_id = "style-transfer"
    slider = "style_strength"
    slider_label = "Style strength"
    slider_default = 1.0
    slider_help = "How strongly the style image's look is applied."
    prompt_required = False
    style_preset = None  # the style comes from the style image

    style_asset = forms.ChoiceField(label="Style image (from your library)", required=False)
    style_upload = forms.FileField(
        label="…or upload a style image",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    composition_fidelity = forms.FloatField(
        label="Composition fidelity",
        min_value=0,
        max_value=1,
        initial=0.9,
        required=False,
        widget=ThumbRange(),
        help_text="How much of this picture's composition is kept.",
    )
    change_strength = forms.FloatField(
        label="Change strength",
        min_value=0.1,
        max_value=1,
        initial=0.9,
        required=False,
        widget=ThumbRange(low=0.1),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt"].help_text = "Optional: what the result should show."
        self.fields["negative_prompt"].help_text = ""
        self.library = list(_library_images(self.asset.owner, self.asset.pk)) if self.asset else []
        self.fields["style_asset"].choices = [("", "Choose…")] + [
            (str(a.public_id), a.display_title[:60]) for a in self.library
        ]
        self.fields["style_asset"].widget.attrs["data-thumbs"] = " ".join(
            f"{a.public_id}={a.thumbnail_url()}" for a in self.library
        )
        # The style slider shows the style image; the composition slider shows this one.
        self.fields["style_strength"].widget.thumb_source = "style_asset"
        self.fields["style_strength"].widget.thumb_url = ""
        if self.asset is not None:
            comp = self.fields["composition_fidelity"].widget
            comp.thumb_url = self.asset.thumbnail_url()
            comp.thumb_alt = f"Input: {self.asset.alt_text}"
        picked = self.data.get("style_asset") if self.is_bound else ""
        chosen = next((a for a in self.library if str(a.public_id) == picked), None)
        if chosen is not None:
            self.fields["style_strength"].widget.thumb_url = chosen.thumbnail_url()
            self.fields["style_strength"].widget.thumb_alt = f"Style: {chosen.alt_text}"
        self.order_fields(
            [
                "engine",
                "style_asset",
                "style_upload",
                "style_strength",
                "composition_fidelity",
                "change_strength",
                "prompt",
            ]
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("style_upload")
        picked = cleaned.get("style_asset")
        if upload:
            try:
                info = inspect_image(upload, size=upload.size)
            except ValidationError as exc:
                self.add_error("style_upload", exc)
                return cleaned
            problem = limits_problem(info.width, info.height, self.model_id, what="The style image")
            if problem:
                self.add_error("style_upload", problem)
            upload.seek(0)
        elif picked:
            style = next((a for a in self.library if str(a.public_id) == picked), None)
            if style is None:
                self.add_error("style_asset", "Choose a style image from your library.")
            else:
                problem = limits_problem(
                    style.width or 0, style.height or 0, self.model_id, what="The style image"
                )
                if problem:
                    self.add_error("style_asset", problem)
        else:
            self.add_error(
                "style_asset",
                "Style transfer needs a style image: choose one from your library or upload one.",
            )
        return cleaned
