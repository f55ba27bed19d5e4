"""Transform forms: image to video, talking avatar (portrait + speech) and image to 3D.

Every check that can be made before a hold is made here: the portrait's size for the
model, the recording's real type, duration, size and loudness (decoded on the server),
so bad input gets its message on the form and nothing is stored or held.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.validation import inspect_audio
from providers.base import Capability
from providers.stability import ROUTES
from providers.wavespeed import IMAGE_LIMITS
from studio.jobs.engines import EngineFormMixin
from studio.jobs.forms import OperationForm
from studio.jobs.remote import input_problem

# The models' own limits on a soundtrack or speech recording (WaveSpeed's docs).
VIDEO_AUDIO = {"min": 3.0, "max": 30.0, "bytes": 15 * 1024 * 1024}
AVATAR_AUDIO = {"min": 1.0, "max": 600.0, "bytes": 50 * 1024 * 1024}
AUDIO_ACCEPT = (
    "audio/mpeg,audio/wav,audio/x-wav,audio/webm,audio/ogg,audio/mp4,audio/flac,.mp3,.wav"
)


def _audio_field(label: str, *, required: bool, help_text: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": AUDIO_ACCEPT, "data-audio-input": ""}),
        error_messages={"required": "Upload or record the speech the portrait should say."},
    )


class _TransformForm(EngineFormMixin, OperationForm):
    image_limits = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        asset = self.asset
        if asset is not None:
            if self.image_limits is not None:
                problem = input_problem(asset.width or 0, asset.height or 0, self.image_limits)
                if problem:
                    raise ValidationError(problem)
                max_bytes = getattr(self.image_limits, "max_bytes", None)
                if max_bytes and asset.file_size and asset.file_size > max_bytes:
                    raise ValidationError(
                        f"This image file is {asset.file_size / 1e6:.1f} MB; the model takes at most "
                        f"{max_bytes / 1e6:.0f} MB. Convert it to JPEG first (Tools → Convert)."
                    )
        return cleaned

    def _clean_audio(self, name: str, limits: dict) -> None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return
        try:
            info = inspect_audio(
                upload,
                size=upload.size,
                max_seconds=limits["max"],
                min_seconds=limits["min"],
                max_bytes=limits["bytes"],
            )
        except ValidationError as exc:
            self.add_error(name, exc)
            return
        self.audio_info = info
        self.cleaned_data["seconds"] = round(info.duration, 2)
        if info.data is not None and info.kind not in ("wav", "mp3"):
            # A browser recording (WebM/Ogg): the models take WAV or MP3.
            stem = (upload.name or "recording").rsplit(".", 1)[0]
            self.cleaned_data[name] = SimpleUploadedFile(f"{stem}.wav", info.data, "audio/wav")
        else:
            upload.seek(0)


class ImageToVideoForm(_TransformForm):
    capability = Capability.IMAGE_TO_VIDEO
    image_limits = IMAGE_LIMITS

    prompt = forms.CharField(
        label="Prompt",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happens in the clip: the motion, the camera, the mood.",
    )
    negative_prompt = forms.CharField(label="Negative prompt", required=False, max_length=2_000)
    resolution = forms.ChoiceField(
        label="Resolution",
        choices=[("480p", "480p"), ("720p", "720p"), ("1080p", "1080p")],
        initial="720p",
    )
    duration = forms.ChoiceField(
        label="Length", choices=[("5", "5 seconds"), ("10", "10 seconds")], initial="5"
    )
    enable_prompt_expansion = forms.BooleanField(
        label="Expand my prompt (the model adds detail to it)", required=False
    )
    audio = _audio_field(
        "Soundtrack (optional)",
        required=False,
        help_text="MP3 or WAV, 3–30 seconds, up to 15 MB; longer audio is cut to the clip.",
    )
    seed = forms.IntegerField(label="Seed", required=False, min_value=-1, max_value=2_147_483_647)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_audio("audio", VIDEO_AUDIO)
        cleaned = self.cleaned_data
        # The price: per second of video at the chosen resolution.
        cleaned["seconds"] = int(cleaned.get("duration") or 5)
        return cleaned


class TalkingAvatarForm(_TransformForm):
    capability = Capability.TALKING_AVATAR
    image_limits = IMAGE_LIMITS

    audio = _audio_field(
        "Speech",
        required=True,
        help_text="An MP3 or WAV file, or a clip recorded here: up to 10 minutes and 50 MB. "
        "The video is as long as the speech, and priced by its length.",
    )
    resolution = forms.ChoiceField(
        label="Resolution", choices=[("480p", "480p"), ("720p", "720p")], initial="480p"
    )
    prompt = forms.CharField(
        label="Prompt (optional)",
        required=False,
        max_length=500,
        help_text="A short hint in English: expression, gestures.",
    )
    seed = forms.IntegerField(label="Seed", required=False, min_value=-1, max_value=2_147_483_647)
    # Filled in by the page from the chosen file, for the live price only; the hold uses
    # the duration measured here on the server.
    duration_hint = forms.FloatField(
        required=False, widget=forms.HiddenInput, min_value=0, max_value=3_600
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        self._clean_audio("audio", AVATAR_AUDIO)
        return self.cleaned_data


class ImageTo3DForm(_TransformForm):
    capability = Capability.IMAGE_TO_3D
    image_limits = ROUTES["stable-fast-3d"].limits

    texture_resolution = forms.ChoiceField(
        label="Texture resolution",
        choices=[("512", "512 px"), ("1024", "1024 px"), ("2048", "2048 px")],
        initial="1024",
    )
    foreground_ratio = forms.FloatField(
        label="Foreground ratio",
        min_value=0.1,
        max_value=1,
        initial=0.85,
        widget=forms.NumberInput(attrs={"type": "range", "step": "0.05", "min": "0.1", "max": "1"}),
        help_text="How much of the frame the object fills before it is lifted to 3D.",
    )
    remesh = forms.ChoiceField(
        label="Remesh",
        choices=[("none", "None"), ("triangle", "Triangles"), ("quad", "Quads")],
        initial="none",
    )
    vertex_count = forms.IntegerField(
        label="Vertex count",
        min_value=-1,
        max_value=20_000,
        initial=-1,
        help_text="-1 keeps the model's own count; up to 20,000 to simplify.",
    )
