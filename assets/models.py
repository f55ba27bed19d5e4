import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


def asset_upload_to(instance: "Asset", filename: str) -> str:
    """``assets/<owner public id>/<yyyy>/<mm>/<asset public id>.<ext>``.

    The name carries no user-supplied text, so nothing in a path can leak or collide.
    """
    ext = PurePosixPath(filename).suffix.lower() or ".bin"
    now = timezone.now()
    return f"assets/{instance.owner_id}/{now:%Y/%m}/{instance.public_id.hex}{ext}"


def thumbnail_upload_to(instance: "Asset", filename: str) -> str:
    now = timezone.now()
    return f"thumbs/{instance.owner_id}/{now:%Y/%m}/{instance.public_id.hex}.webp"


class Asset(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        AUDIO = "audio", "Audio"
        TEXT = "text", "Text"
        MODEL3D = "model3d", "3D model"

    class Module(models.TextChoices):
        UPLOAD = "upload", "Upload"
        TOOLS = "tools", "Quick tools"
        CREATE = "create", "Create"
        EDIT = "edit", "Edit"
        UPSCALE = "upscale", "Upscale"
        CONTROL = "control", "Control"
        TRANSFORM = "transform", "Transform"
        SOCIAL = "social", "Social Optimizer"
        BATCH = "batch", "Batch"

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        TRASHED = "trashed", "In trash"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assets"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IMAGE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    title = models.CharField(max_length=255, blank=True)

    file = models.FileField(upload_to=asset_upload_to, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    file_size = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file", db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    # Where it came from: the recipe, enough to recall it into its module.
    source_module = models.CharField(max_length=16, choices=Module.choices, default=Module.UPLOAD)
    operation = models.CharField(max_length=64, blank=True)
    prompt = models.TextField(blank=True)
    negative_prompt = models.TextField(blank=True)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=128, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # The job that produced it (a studio Job's public id; assets know nothing of studio).
    source_job_id = models.UUIDField(null=True, blank=True, db_index=True)
    cost_credits = models.PositiveIntegerField(default=0)
    generation_ms = models.PositiveIntegerField(null=True, blank=True)

    # Analysis
    palette = models.JSONField(default=list, blank=True)
    focal_point = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    is_favourite = models.BooleanField(default=False)
    trashed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The library grid: one owner's live assets, newest first.
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="asset_owner_live_idx",
                condition=Q(status="ready"),
            ),
            models.Index(fields=["owner", "status", "trashed_at"], name="asset_owner_trash_idx"),
        ]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("assets:detail", args=[self.public_id])

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.prompt:
            return self.prompt[:80]
        return self.original_filename or f"{self.get_kind_display()} {self.public_id.hex[:8]}"

    @property
    def alt_text(self) -> str:
        return (self.prompt or self.title or self.original_filename or "Image")[:200]

    @property
    def has_alpha(self) -> bool:
        return bool(self.metadata.get("has_alpha"))

    def file_url(self) -> str:
        return reverse("assets:file", args=[self.public_id])

    def thumbnail_url(self) -> str:
        return reverse("assets:thumbnail", args=[self.public_id])
