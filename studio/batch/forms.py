"""Batch forms: the new-batch form (CSV, files or library images) and approval."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

from django import forms
from django.utils import timezone

from .importer import batch_operations


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def operation_choices():
    return [("", "Per row (from the CSV)")] + [
        (op.key, f"{op.label} ({op.module})") for op in batch_operations()
    ]


SETTING = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*(.*?)\s*$")


class NewBatchForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name")
    csv_file = forms.FileField(
        required=False,
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="UTF-8, comma or semicolon separated, one row per item.",
    )
    images = MultipleFileField(required=False, label="Or image files")
    assets = forms.CharField(required=False, widget=forms.MultipleHiddenInput)
    operation = forms.ChoiceField(required=False, label="Operation")
    settings = forms.CharField(
        required=False,
        label="Settings for the operation",
        help_text="One per line or separated by ; — e.g. format=webp; quality=85",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].choices = operation_choices()

    def clean_settings(self):
        raw = self.cleaned_data.get("settings") or ""
        out = {}
        for part in re.split(r"[;\n]", raw):
            if not part.strip():
                continue
            match = SETTING.match(part)
            if not match:
                raise forms.ValidationError(f"Write settings as name=value, not “{part.strip()}”.")
            out[match[1]] = match[2]
        return out

    def clean(self):
        data = super().clean()
        picked = self.data.getlist("assets") if hasattr(self.data, "getlist") else []
        data["asset_ids"] = [p for p in picked if p]
        sources = [bool(data.get("csv_file")), bool(data.get("images")), bool(data["asset_ids"])]
        if sum(sources) == 0:
            raise forms.ValidationError(
                "Upload a CSV file, choose image files, or pick images from your library."
            )
        if sum(sources) > 1:
            raise forms.ValidationError("Use one source per batch: a CSV, files or library images.")
        if not data.get("csv_file") and not data.get("operation"):
            self.add_error("operation", "Choose what to do with the images.")
        return data


class ApproveForm(forms.Form):
    rows = forms.CharField(required=False, widget=forms.MultipleHiddenInput)
    scope = forms.ChoiceField(
        choices=[("all", "All valid rows"), ("chosen", "Only the ticked rows")], initial="all"
    )
    fit = forms.BooleanField(
        required=False, label="If credits run short, run only the rows that fit"
    )
    start_at = forms.DateTimeField(
        required=False,
        label="Start at (optional)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    tz = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    notify = forms.BooleanField(required=False, initial=True, label="Email me when it finishes")

    def clean_tz(self):
        name = (self.cleaned_data.get("tz") or "").strip()
        if not name:
            return None
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError("Unknown time zone.") from None

    def clean(self):
        data = super().clean()
        numbers = []
        for raw in self.data.getlist("rows") if hasattr(self.data, "getlist") else []:
            if str(raw).isdigit():
                numbers.append(int(raw))
        data["numbers"] = numbers if data.get("scope") == "chosen" else None
        if data.get("scope") == "chosen" and not numbers:
            raise forms.ValidationError("Tick the rows to run, or choose all valid rows.")
        start = data.get("start_at")
        if start is not None:
            zone = data.get("tz") or timezone.get_current_timezone()
            naive = start.replace(tzinfo=None) if isinstance(start, datetime) else start
            start = timezone.make_aware(naive, zone)
            if start <= timezone.now():
                self.add_error(
                    "start_at", "Pick a time in the future, or leave it empty to start now."
                )
            data["start_at"] = start
        return data
