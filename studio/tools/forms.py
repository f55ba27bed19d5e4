"""Quick tools forms. Each validates against its input asset before any job exists."""

from __future__ import annotations

import re

from django import forms

from providers.base import InvalidInput
from providers.local import palettes, tools
from studio.jobs.forms import OperationForm


class ResizeForm(OperationForm):
    width = forms.IntegerField(
        min_value=1, max_value=tools.MAX_SIDE, required=False, label="Width (px)"
    )
    height = forms.IntegerField(
        min_value=1, max_value=tools.MAX_SIDE, required=False, label="Height (px)"
    )
    mode = forms.ChoiceField(
        choices=[("fit", "Keep aspect ratio (fit inside)"), ("exact", "Exact size (stretch)")],
        initial="fit",
        label="Mode",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.asset is not None and not self.is_bound:
            self.initial.setdefault("width", (self.asset.width or 2) // 2 or 1)

    def clean(self):
        data = super().clean()
        width, height, mode = data.get("width"), data.get("height"), data.get("mode")
        if not width and not height:
            raise forms.ValidationError("Give a width, a height or both.")
        if mode == "exact" and not (width and height):
            raise forms.ValidationError("An exact resize needs both a width and a height.")
        return data


class CropForm(OperationForm):
    x = forms.IntegerField(min_value=0, initial=0, label="Left (px)")
    y = forms.IntegerField(min_value=0, initial=0, label="Top (px)")
    width = forms.IntegerField(min_value=1, label="Width (px)")
    height = forms.IntegerField(min_value=1, label="Height (px)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.asset is not None and not self.is_bound and self.asset.width:
            w, h = self.asset.width, self.asset.height
            for key, value in {
                "x": w // 8,
                "y": h // 8,
                "width": w - w // 4,
                "height": h - h // 4,
            }.items():
                self.initial.setdefault(key, value)

    def clean(self):
        data = super().clean()
        if self.asset is None or self.errors:
            return data
        w, h = self.asset.width or 0, self.asset.height or 0
        if data["x"] + data["width"] > w or data["y"] + data["height"] > h:
            raise forms.ValidationError(f"The crop box must lie inside the image ({w}×{h} px).")
        return data


class FilterForm(OperationForm):
    RANGES = {
        "blur": (0.1, 100, 4, "Radius in pixels"),
        "sharpen": (0.1, 5, 1.5, "Strength, 0.1–5"),
        "grayscale": (0.05, 1, 1, "Strength, 0–1"),
        "sepia": (0.05, 1, 1, "Strength, 0–1"),
        "brightness": (0, 5, 1.2, "Factor, 1 = unchanged"),
        "contrast": (0, 5, 1.2, "Factor, 1 = unchanged"),
        "saturation": (0, 5, 1.3, "Factor, 1 = unchanged"),
    }
    name = forms.ChoiceField(
        choices=[
            ("blur", "Gaussian blur"),
            ("sharpen", "Sharpen"),
            ("grayscale", "Grayscale"),
            ("sepia", "Sepia"),
            ("brightness", "Brightness"),
            ("contrast", "Contrast"),
            ("saturation", "Saturation"),
        ],
        label="Filter",
    )
    amount = forms.FloatField(min_value=0, max_value=100, initial=1.2, label="Amount")

    def clean(self):
        data = super().clean()
        name, amount = data.get("name"), data.get("amount")
        if name in self.RANGES and amount is not None:
            lo, hi, _, hint = self.RANGES[name]
            if not lo <= amount <= hi:
                self.add_error("amount", f"For {name}, use {lo:g}–{hi:g} ({hint}).")
        return data


class ConvertForm(OperationForm):
    format = forms.ChoiceField(
        choices=[("webp", "WebP"), ("jpeg", "JPEG"), ("png", "PNG")], initial="webp", label="Format"
    )
    quality = forms.IntegerField(
        min_value=1, max_value=100, initial=85, label="Quality", help_text="Ignored for PNG."
    )
    keep_metadata = forms.BooleanField(
        required=False, initial=False, label="Keep metadata (EXIF, colour profile)"
    )


class PaletteForm(OperationForm):
    count = forms.IntegerField(min_value=3, max_value=12, initial=6, label="Colours")
    mode = forms.ChoiceField(
        choices=[("dominant", "Dominant"), ("vibrant", "Vibrant"), ("muted", "Muted")],
        initial="dominant",
        label="Mode",
    )


class ApplyPaletteForm(OperationForm):
    colors = forms.CharField(
        max_length=400,
        label="Palette",
        help_text="Hex colours separated by spaces or commas; starts from this image's palette.",
    )
    mode = forms.ChoiceField(
        choices=[
            ("map", "Map to the palette (only palette colours)"),
            ("tint", "Tint towards the palette (keeps shading)"),
        ],
        initial="map",
        label="Mode",
    )
    dither = forms.BooleanField(
        required=False, initial=False, label="Dither (mix colours in gradients)"
    )
    strength = forms.FloatField(
        min_value=0, max_value=1, initial=1.0, label="Strength", help_text="0 = unchanged."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.asset is not None and not self.is_bound and "colors" not in self.initial:
            colours = [c.get("hex", "") for c in self.asset.palette or [] if isinstance(c, dict)]
            self.initial["colors"] = " ".join(c for c in colours if c)

    def clean_colors(self):
        raw = [part for part in re.split(r"[\s,;]+", self.cleaned_data["colors"]) if part]
        try:
            parsed = palettes.parse_colours(raw)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.user_message) from exc
        return ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in parsed.tolist()]
