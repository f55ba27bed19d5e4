from django.contrib import admin, messages

from billing.services import BillingError

from .models import Job, JobFile
from .services import job_cancel, job_retry


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "owner",
        "operation",
        "status",
        "progress",
        "provider",
        "credits_estimated",
        "credits_charged",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "module", "queue", "provider"]
    search_fields = ["public_id", "owner__email", "operation", "error"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner", "retry_of"]
    filter_horizontal = []
    readonly_fields = [
        "public_id",
        "owner",
        "module",
        "operation",
        "params",
        "provider",
        "model",
        "inputs",
        "outputs",
        "result",
        "queue",
        "status",
        "progress",
        "message",
        "error",
        "error_code",
        "attempts",
        "credits_estimated",
        "credits_charged",
        "retry_of",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]

    actions = ["cancel_jobs", "retry_jobs"]

    @admin.action(description="Cancel the selected jobs (holds released)")
    def cancel_jobs(self, request, queryset):
        canceled = sum(1 for job in queryset if job.is_active and job_cancel(job=job))
        self.message_user(request, f"Canceled {canceled} job(s).", messages.SUCCESS)

    @admin.action(description="Retry the selected finished jobs (as their owners)")
    def retry_jobs(self, request, queryset):
        retried, refused = 0, []
        for job in queryset.filter(status__in=[Job.Status.FAILED, Job.Status.CANCELED]):
            try:
                job_retry(job=job)
                retried += 1
            except BillingError as exc:
                refused.append(f"{job.public_id}: {exc.message}")
        self.message_user(request, f"Queued {retried} retry job(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    def has_add_permission(self, request):
        return False  # jobs are created by the pipeline, with a credit hold


@admin.register(JobFile)
class JobFileAdmin(admin.ModelAdmin):
    list_display = ["job", "role", "width", "height", "created_at"]
    list_filter = ["role"]
    search_fields = ["job__public_id", "job__owner__email"]
    raw_id_fields = ["job"]
    readonly_fields = ["file", "width", "height", "created_at"]
