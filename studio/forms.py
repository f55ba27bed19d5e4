"""Operation forms. Each validates against its input asset before any job exists."""

from __future__ import annotations

from django import forms

from providers.local import tools


class OperationForm(forms.Form):
    """Base for catalog forms: knows the input asset it will run on."""

    def __init__(self, *args, asset=None, **kwargs):
        self.asset = asset
        super().__init__(*args, **kwargs)


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


def _format_choices():
    from .platforms import PLATFORMS, formats_by_platform

    return [
        (PLATFORMS[platform], [(f.key, f"{f.name} · {f.width}×{f.height}") for f in formats])
        for platform, formats in formats_by_platform().items()
    ]


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
    focal_x = forms.FloatField(min_value=0, max_value=1, initial=0.5, widget=forms.HiddenInput)
    focal_y = forms.FloatField(min_value=0, max_value=1, initial=0.5, widget=forms.HiddenInput)
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


class PersonaForm(forms.ModelForm):
    colours = forms.CharField(
        required=False,
        label="Brand colours",
        help_text="Hex colours separated by spaces or commas, e.g. #1a2b3c #f4d35e",
    )

    class Meta:
        from .models import Persona

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
        from .styles import CREATE_TEMPLATES, STYLE_PRESETS

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
        import re

        raw = self.cleaned_data.get("colours") or ""
        values = [v for v in re.split(r"[\s,]+", raw) if v]
        bad = [v for v in values if not re.fullmatch(r"#[0-9a-fA-F]{6}", v)]
        if bad:
            raise forms.ValidationError(f"Not a #rrggbb colour: {', '.join(bad)}")
        return [v.lower() for v in values]

    def clean_name(self):
        from .models import Persona

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

    def __init__(self, *args, user=None, engines=None, **kwargs):
        from .models import Persona
        from .styles import CREATE_TEMPLATES, STYLE_PRESETS

        super().__init__(*args, **kwargs)
        self.user = user
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
        self.advanced_specs = []

    def persona_obj(self):
        key = self.cleaned_data.get("persona")
        return next((p for p in self.personas if str(p.public_id) == key), None)

    def clean(self):
        data = super().clean()
        if not data.get("template") and not (data.get("width") and data.get("height")):
            raise forms.ValidationError("Pick a template, or give a width and a height.")
        # Advanced model parameters arrive as adv_<name>; check them against the model.
        from .create import MANAGED_PARAMS, spec_for

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
        if self.asset is not None and not self.is_bound:
            self.initial.setdefault(
                "prompt", (self.asset.params or {}).get("prompt") or self.asset.prompt
            )
