import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Persona(models.Model):
    """A brand persona: voice, visual style and colours that shape prompts."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personas"
    )
    name = models.CharField(max_length=80)
    voice = models.CharField(
        max_length=200, blank=True, help_text="Tone, e.g. warm, playful, confident"
    )
    visual_style = models.CharField(
        max_length=300,
        blank=True,
        help_text="Visual keywords, e.g. soft daylight, pastel, clean lines",
    )
    colours = models.JSONField(default=list, blank=True, help_text="Brand colours as #rrggbb")
    avoid = models.CharField(max_length=300, blank=True, help_text="Things to keep out of images")
    default_template = models.CharField(max_length=64, blank=True)
    default_style = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="persona_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("studio:persona_edit", args=[self.public_id])
