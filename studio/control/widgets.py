"""A slider with a thumbnail of the input it weighs, and the value it is set to."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class ThumbRange(forms.NumberInput):
    input_type = "range"

    def __init__(self, *, low: float = 0, high: float = 1, step: float = 0.05, attrs=None):
        super().__init__(attrs={"min": low, "max": high, "step": step, **(attrs or {})})
        self.thumb_url = ""
        self.thumb_alt = ""
        self.thumb_source = ""  # the field whose picked image the thumbnail follows

    def render(self, name, value, attrs=None, renderer=None):
        slider = super().render(name, value, attrs, renderer)
        shown = "" if value in (None, "") else value
        return format_html(
            '<span class="thumb-slider"><img class="slider-thumb" src="{}" alt="{}" width="48" '
            'height="48" data-thumb-source="{}"{}>{}<output for="{}" class="slider-value">{}</output></span>',
            self.thumb_url,
            self.thumb_alt,
            self.thumb_source,
            mark_safe(" hidden") if not self.thumb_url else "",
            slider,
            (attrs or {}).get("id", ""),
            shown,
        )
