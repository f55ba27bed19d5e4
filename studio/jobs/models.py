import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from . import registry


class Job(models.Model):
    """One unit of work of any module, run by the one pipeline in ``studio.jobs.services``."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Queue(models.TextChoices):
        INTERACTIVE = "interactive", "Interactive"
        BATCH = "batch", "Batch"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    TERMINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    module = models.CharField(max_length=16)
    operation = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=128, blank=True)
    inputs = models.ManyToManyField("assets.Asset", related_name="input_of_jobs", blank=True)
    # Asset ids of ``inputs`` in their roles' order (image first, then mask, …).
    input_order = models.JSONField(default=list, blank=True)
    # Whether the job keeps private input files (``JobFile``): a worker reads them only then.
    has_files = models.BooleanField(default=False, editable=False)
    outputs = models.ManyToManyField("assets.Asset", related_name="output_of_jobs", blank=True)
    result = models.JSONField(
        default=dict, blank=True, help_text="Non-file results, e.g. a palette"
    )
    queue = models.CharField(max_length=16, choices=Queue.choices, default=Queue.INTERACTIVE)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True, help_text="Shown to the user; never a stack trace")
    error_code = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    credits_estimated = models.PositiveIntegerField(default=0)
    credits_charged = models.PositiveIntegerField(default=0)

    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_recent_idx"),
            # The sweeper scans only unfinished jobs.
            models.Index(
                fields=["status", "heartbeat_at"],
                name="job_active_idx",
                condition=Q(status__in=["queued", "running"]),
            ),
            # A user's running jobs (the plan's concurrency check at every submit), without
            # reading a long history.
            models.Index(
                fields=["owner"],
                name="job_owner_active_idx",
                condition=Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("studio:job_detail", args=[self.public_id])

    def ordered_inputs(self) -> list:
        """The input assets in the order the operation gave them (image, then mask)."""
        rank = {pk: i for i, pk in enumerate(self.input_order)}
        return sorted(self.inputs.all(), key=lambda a: rank.get(a.pk, len(rank) + a.pk))

    @property
    def live_outputs(self) -> list:
        """Outputs not in the trash (uses a prefetch of ``outputs`` when there is one)."""
        return [a for a in self.outputs.all() if a.status == "ready"]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL_STATUSES

    @property
    def elapsed_seconds(self) -> float:
        start = self.started_at or self.created_at
        end = self.finished_at or timezone.now()
        return max(0.0, (end - start).total_seconds())

    @property
    def operation_label(self) -> str:
        op = registry.OPERATIONS.get(self.operation)
        return op.label if op else self.operation


def job_file_upload_to(instance: "JobFile", filename: str) -> str:
    """``jobs/<owner id>/<yyyy>/<mm>/<job public id>-<role>.<ext>``: no user text in the name."""
    ext = PurePosixPath(filename).suffix.lower() or ".bin"
    now = timezone.now()
    job = instance.job
    return f"jobs/{job.owner_id}/{now:%Y/%m}/{job.public_id.hex}-{instance.role}{ext}"


class JobFile(models.Model):
    """A private input file of one job that is not a library image: the mask of an edit,
    a background or light reference. Kept with the job so its page can show and reuse it."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=32)  # "mask", "background_reference", …
    file = models.FileField(upload_to=job_file_upload_to, max_length=255)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "role"], name="job_file_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.role} of {self.job_id}"
