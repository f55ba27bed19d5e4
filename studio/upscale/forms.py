"""The Upscale form: a preset or a factor, a method (Auto or a model), and the prompt and
creativity the generative upscalers take. Only sizes that some method on this server and
the user's plan can reach are offered."""

from __future__ import annotations

from typing import Any

from django import forms

from providers.stability import STYLE_PRESETS
from studio.jobs.engines import AUTO
from studio.jobs.forms import OperationForm

from . import methods as m

FORMATS = (("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WebP"))


def _size_label(target: tuple[int, int]) -> str:
    return f"{target[0]}×{target[1]} px"


class UpscaleForm(OperationForm):
    preset = forms.ChoiceField(label="Size", required=False)
    factor = forms.ChoiceField(label="Factor", required=False, initial="2")
    engine = forms.ChoiceField(label="Method", required=False, initial=AUTO)
    prompt = forms.CharField(
        label="Prompt",
        required=False,
        max_length=10_000,
        help_text="Conservative and Creative only: what the picture shows (defaults to its own prompt or title).",
    )
    negative_prompt = forms.CharField(label="Negative prompt", required=False, max_length=10_000)
    creativity = forms.FloatField(
        label="Creativity",
        required=False,
        min_value=0.1,
        max_value=0.5,
        initial=0.3,
        widget=forms.NumberInput(
            attrs={"type": "range", "step": "0.05", "min": "0.1", "max": "0.5"}
        ),
        help_text="How much new detail Conservative or Creative may invent.",
    )
    style_preset = forms.ChoiceField(
        label="Style (Creative)",
        required=False,
        choices=[("", "None"), *((s, s.replace("-", " ").capitalize()) for s in STYLE_PRESETS)],
    )
    format = forms.ChoiceField(label="File format", choices=FORMATS, initial="png")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.methods = m.available_methods()
        asset = self.asset
        self.plan = m.plan_for(asset.owner if asset is not None else None)
        w, h = (asset.width or 0, asset.height or 0) if asset is not None else (0, 0)
        self.size = (w, h)
        self.engine_choices = [(AUTO, "Auto (picks the method for this size)")] + [
            (meth.value, meth.label) for meth in self.methods
        ]
        self.fields["engine"].choices = self.engine_choices
        # Only sizes something can reach on this plan; the rest are named as locked.
        presets, factors, locked = [], [], []
        for preset in m.PRESETS:
            target = m.target_for(w, h, preset=preset.key) if w and h else (0, 0)
            label = f"{preset.label} · {_size_label(target)} ({preset.note})"
            if self._reachable(target):
                presets.append((preset.key, label))
            else:
                locked.append(preset.label)
        for factor in m.FACTORS:
            target = m.target_for(w, h, factor=factor) if w and h else (0, 0)
            label = f"×{factor} · {_size_label(target)}"
            if self._reachable(target):
                factors.append((factor, label))
            else:
                locked.append(f"×{factor}")
        self.locked = locked
        self.fields["preset"].choices = [("", "By factor")] + presets
        self.fields["factor"].choices = factors or [("", "No factor fits")]
        if factors and "2" not in dict(factors):
            self.fields["factor"].initial = factors[0][0]
        if locked:
            self.fields["preset"].help_text = (
                f"Not possible for this {w}×{h} px image on your plan and this server: "
                f"{', '.join(locked)}."
            )

    def _reachable(self, target: tuple[int, int]) -> bool:
        w, h = self.size
        if not (w and h):
            return False
        choice = m.choose(w=w, h=h, target=target, plan=self.plan, methods=self.methods)
        return choice.method is not None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not cleaned.get("preset") and not cleaned.get("factor"):
            raise forms.ValidationError(
                "No size can be reached for this image on your plan and this server."
            )
        choice = decide(cleaned, self.asset, self.plan, self.methods)
        if choice.method is None:
            raise forms.ValidationError(" ".join(choice.problems[:1]) or "This size can't be made.")
        self.choice = choice
        return cleaned


def decide(params: dict[str, Any], asset, plan, methods) -> m.Choice:
    w, h = (asset.width or 0, asset.height or 0) if asset is not None else (0, 0)
    if not (w and h):
        return m.Choice(None, (0, 0), "", ("This image's size is unknown.",))
    target = m.target_for(
        w, h, preset=params.get("preset") or "", factor=str(params.get("factor") or "2")
    )
    return m.choose(
        w=w, h=h, target=target, plan=plan, methods=methods, picked=params.get("engine") or AUTO
    )
