"""A batch groups many rows; each approved row runs as one ordinary job of the pipeline."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Batch(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Dry run"
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        CANCELED = "canceled", "Canceled"

    class Kind(models.TextChoices):
        PROMPTS = "prompts", "Prompts"
        PRODUCTS = "products", "Product images"
        IMAGES = "images", "Local images"

    ACTIVE_STATUSES = (Status.SCHEDULED, Status.RUNNING, Status.PAUSED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The operation for rows that don't name their own, and its default params.
    operation = models.CharField(max_length=64, blank=True)
    defaults = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    notify = models.BooleanField(default=True, help_text="Email the owner when it finishes")
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "studio"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="batch_owner_recent_idx"),
            # The scheduler scans only batches that may still dispatch rows.
            models.Index(
                fields=["status", "scheduled_at"],
                name="batch_active_idx",
                condition=Q(status__in=["scheduled", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("studio:batch_detail", args=[self.public_id])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class BatchRow(models.Model):
    class Status(models.TextChoices):
        INVALID = "invalid", "Invalid"
        READY = "ready", "Ready"  # valid, in the dry run, not approved
        SKIPPED = "skipped", "Not approved"
        WAITING = "waiting", "Waiting"  # approved and held, waiting for a slot
        RUNNING = "running", "Running"  # its job is queued or running
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    TERMINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)
    OPEN_STATUSES = (Status.WAITING, Status.RUNNING)

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="1-based, in the order of the input")
    values = models.JSONField(default=dict, blank=True, help_text="The row as given")
    operation = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    sku = models.CharField(max_length=120, blank=True)
    slug = models.CharField(max_length=80, blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    input_asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    error = models.TextField(blank=True)
    credits = models.PositiveIntegerField(default=0, help_text="Quoted at the dry run")
    credits_charged = models.PositiveIntegerField(default=0)
    # The id its credits are held under; its job takes it as public id.
    hold_id = models.UUIDField(null=True, blank=True, unique=True)
    job = models.ForeignKey(
        "studio.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_rows"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "studio"
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="batchrow_unique_number")
        ]
        indexes = [
            # The dispatcher scans only rows that wait for a slot or run.
            models.Index(
                fields=["batch", "status", "number"],
                name="batchrow_open_idx",
                condition=Q(status__in=["waiting", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.number} ({self.get_status_display()})"

    @property
    def label(self) -> str:
        return self.sku or self.slug or f"row-{self.number}"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL_STATUSES
