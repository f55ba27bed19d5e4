"""Create forms: the prompt form, variations of an image, brand personas."""

from __future__ import annotations

import re

from django import forms

from studio.jobs.forms import OperationForm

from . import limits
from .models import Persona
from .services import MANAGED_PARAMS, spec_for
from .styles import CREATE_TEMPLATES, STYLE_PRESETS


class PersonaForm(forms.ModelForm):
    colours = forms.CharField(
        required=False,
        label="Brand colours",
        help_text="Hex colours separated by spaces or commas, e.g. #1a2b3c #f4d35e",
    )

    class Meta:
        model = Persona
        fields = [
            "name",
            "voice",
            "visual_style",
            "colours",
            "avoid",
            "default_template",
            "default_style",
        ]
        widgets = {
            "visual_style": forms.Textarea(attrs={"rows": 2}),
            "avoid": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, owner=None, **kwargs):

        self.owner = owner
        super().__init__(*args, **kwargs)
        self.fields["default_template"] = forms.ChoiceField(
            required=False,
            label="Default template",
            choices=[("", "None")] + [(t.key, t.name) for t in CREATE_TEMPLATES],
        )
        self.fields["default_style"] = forms.ChoiceField(
            required=False,
            label="Default style",
            choices=[("", "None")] + [(s.key, s.name) for s in STYLE_PRESETS],
        )
        if self.instance.pk:
            self.initial["colours"] = " ".join(self.instance.colours)

    def clean_colours(self):

        raw = self.cleaned_data.get("colours") or ""
        values = [v for v in re.split(r"[\s,]+", raw) if v]
        bad = [v for v in values if not re.fullmatch(r"#[0-9a-fA-F]{6}", v)]
        if bad:
            raise forms.ValidationError(f"Not a #rrggbb colour: {', '.join(bad)}")
        return [v.lower() for v in values]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Persona.objects.filter(owner=self.owner, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError("You already have a persona with this name.")
        return name


class CreateForm(forms.Form):
    """Prompt to images. Choices that depend on configuration are filled in __init__."""

    prompt = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Describe the image you want…"}),
        label="Prompt",
        error_messages={"required": "Describe what you want to see."},
    )
    negative_prompt = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Avoid (negative prompt)",
    )
    template = forms.ChoiceField(required=False, label="Template")
    style = forms.ChoiceField(required=False, label="Style", widget=forms.RadioSelect)
    persona = forms.ChoiceField(required=False, label="Brand persona")
    engine = forms.ChoiceField(label="Provider and model", initial="auto")
    quality = forms.ChoiceField(
        choices=[("draft", "Draft (cheapest)"), ("standard", "Standard"), ("premium", "Premium")],
        initial="standard",
        label="Quality",
    )
    variations = forms.IntegerField(
        min_value=1,
        max_value=10,
        initial=1,
        label="Variations",
        widget=forms.NumberInput(attrs={"type": "range", "min": 1, "max": 10, "step": 1}),
    )
    width = forms.IntegerField(min_value=64, max_value=4096, required=False, label="Width (px)")
    height = forms.IntegerField(min_value=64, max_value=4096, required=False, label="Height (px)")
    seed = forms.IntegerField(min_value=0, max_value=2_147_483_647, required=False, label="Seed")

    def __init__(self, *args, user=None, engines=None, plan=None, **kwargs):

        super().__init__(*args, **kwargs)
        self.user = user
        # Plan-limited controls: the slider stops at the plan's maximum; higher values and
        # models outside the plan are shown locked, with the plan that unlocks them.
        self.plan = plan
        self.variation_steps = limits.variation_steps(plan)
        usable = max((s.value for s in self.variation_steps if not s.locked), default=1)
        self.fields["variations"].widget.attrs["max"] = usable
        grouped: dict[str, list] = {}
        for t in CREATE_TEMPLATES:
            grouped.setdefault(t.format.platform_label, []).append(
                (t.key, f"{t.name} · {t.width}×{t.height}")
            )
        self.fields["template"].choices = [("", "Custom size")] + list(grouped.items())
        self.fields["style"].choices = [("", "No style")] + [(s.key, s.name) for s in STYLE_PRESETS]
        self.personas = list(Persona.objects.filter(owner=user)) if user is not None else []
        self.fields["persona"].choices = [("", "No persona")] + [
            (str(p.public_id), p.name) for p in self.personas
        ]
        self.fields["engine"].choices = engines or [("auto", "Auto")]
        self.locked_engines = limits.locked_engines(plan, self.fields["engine"].choices)
        # (value, label, the plan that unlocks it or "" when usable) for the template.
        self.engine_options = [
            (value, label, value in self.locked_engines, self.locked_engines.get(value, ""))
            for value, label in self.fields["engine"].choices
        ]
        self.advanced_specs = []

    def persona_obj(self):
        key = self.cleaned_data.get("persona")
        return next((p for p in self.personas if str(p.public_id) == key), None)

    def clean(self):
        data = super().clean()
        if not data.get("template") and not (data.get("width") and data.get("height")):
            raise forms.ValidationError("Pick a template, or give a width and a height.")
        # Advanced model parameters arrive as adv_<name>; check them against the model.

        spec = spec_for(data.get("engine") or "auto")
        advanced = {}
        if spec is not None:
            for param in spec.params:
                if param.name in MANAGED_PARAMS or param.type == "json":
                    continue
                raw = self.data.get(f"adv_{param.name}", "")
                if raw in ("", None):
                    continue
                try:
                    advanced[param.name] = param.coerce(raw)
                except Exception as exc:  # noqa: BLE001 - InvalidInput carries the message
                    self.add_error(None, getattr(exc, "user_message", str(exc)))
        data["advanced"] = advanced
        return data


class VaryForm(OperationForm):
    """More like this, or refine with a new prompt, from an image in the library."""

    prompt = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Prompt",
        help_text="Keep it to get more like this; change it to refine the image.",
    )
    strength = forms.FloatField(
        min_value=0.05,
        max_value=0.95,
        initial=0.35,
        label="How much may change",
        widget=forms.NumberInput(attrs={"type": "range", "min": 0.05, "max": 0.95, "step": 0.05}),
    )
    preserve_structure = forms.BooleanField(
        required=False, label="Preserve structure (keep shapes and layout)"
    )
    variations = forms.IntegerField(min_value=1, max_value=10, initial=2, label="Variations")
    quality = forms.ChoiceField(
        choices=[("draft", "Draft"), ("standard", "Standard"), ("premium", "Premium")],
        initial="standard",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.asset is not None:
            # The count stops at what the owner's plan allows; the help names what unlocks more.
            from billing.services import subscription_for

            plan = subscription_for(user=self.asset.owner).plan
            steps = limits.variation_steps(plan)
            usable = max((s.value for s in steps if not s.locked), default=1)
            field = self.fields["variations"]
            field.widget.attrs["max"] = usable
            field.initial = min(field.initial, usable)
            locked = limits.locked_ranges(steps)
            if locked:
                field.help_text = f"Up to {usable} on your {plan.name} plan; " + ", ".join(
                    f"{r.label} with {r.plan}" for r in locked
                )
                if not limits.upgrade_help()["payments_enabled"]:
                    field.help_text += " (ask the person who runs this studio to change plans)"
                field.help_text += "."
        if self.asset is not None and not self.is_bound:
            self.initial.setdefault(
                "prompt", (self.asset.params or {}).get("prompt") or self.asset.prompt
            )
