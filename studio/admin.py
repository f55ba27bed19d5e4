from django.contrib import admin

from .models import Job, Persona


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

    def has_add_permission(self, request):
        return False  # jobs are created by the pipeline, with a credit hold


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "voice", "default_template", "default_style", "updated_at"]
    search_fields = ["name", "owner__email", "voice", "visual_style"]
    raw_id_fields = ["owner"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
