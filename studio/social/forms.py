"""The Social Optimizer's pack form."""

from __future__ import annotations

from django import forms

from studio.jobs.forms import OperationForm
from studio.platforms import PLATFORMS, formats_by_platform


def _format_choices():
    return [
        (PLATFORMS[platform], [(f.key, f"{f.name} · {f.width}×{f.height}") for f in formats])
        for platform, formats in formats_by_platform().items()
    ]


# The focal point is a hidden pair of fields the marker fills in: any bad value gets one
# message the page shows beside the form, in words about the picture, not the fields.
_FOCAL_MESSAGE = (
    "The focal point must be on the picture. Drag the marker onto the image (or click it), "
    "then export again."
)
FOCAL_ERRORS = {key: _FOCAL_MESSAGE for key in ("required", "invalid", "min_value", "max_value")}


class SocialPackForm(OperationForm):
    DEFAULT_FORMATS = [
        "instagram-square",
        "instagram-story",
        "facebook-post",
        "x-post",
        "linkedin-post",
        "youtube-thumbnail",
    ]

    formats = forms.MultipleChoiceField(
        choices=_format_choices,
        widget=forms.CheckboxSelectMultiple,
        label="Formats",
        error_messages={"required": "Tick at least one format."},
    )
    mode = forms.ChoiceField(
        choices=[
            ("smart", "Smart (keep the subject)"),
            ("centre", "Centre"),
            ("fit", "Fit (whole image, padded)"),
        ],
        initial="smart",
        label="Crop",
    )
    pad = forms.ChoiceField(
        choices=[
            ("blur", "Blurred extension"),
            ("#ffffff", "White"),
            ("#000000", "Black"),
            ("custom", "Colour…"),
        ],
        initial="blur",
        label="Padding for Fit",
        required=False,
    )
    pad_colour = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        initial="#ffffff",
        label="Padding colour",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": "Use a colour like #1a2b3c."},
    )
    format = forms.ChoiceField(
        choices=[("jpeg", "JPEG"), ("webp", "WebP"), ("png", "PNG")],
        initial="jpeg",
        label="File format",
    )
    quality = forms.IntegerField(min_value=40, max_value=100, initial=88, label="Quality")
    guides = forms.BooleanField(required=False, label="Also export safe-zone previews")
    focal_x = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=0.5,
        widget=forms.HiddenInput,
        error_messages=FOCAL_ERRORS,
    )
    focal_y = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=0.5,
        widget=forms.HiddenInput,
        error_messages=FOCAL_ERRORS,
    )
    focal_source = forms.ChoiceField(
        choices=[("auto", "auto"), ("user", "user")], initial="auto", widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["formats"] = self.DEFAULT_FORMATS
            focal = (self.asset.focal_point or {}) if self.asset is not None else {}
            if "x" in focal:
                self.initial.update(
                    focal_x=focal["x"], focal_y=focal["y"], focal_source=focal.get("source", "auto")
                )

    def clean(self):
        data = super().clean()
        if data.get("pad") == "custom":
            if not data.get("pad_colour"):
                self.add_error("pad_colour", "Pick a padding colour.")
            else:
                data["pad"] = data["pad_colour"].lower()
        data.pop("pad_colour", None)
        data["pad"] = data.get("pad") or "blur"
        return data
