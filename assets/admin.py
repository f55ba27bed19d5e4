from django.contrib import admin

from .models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "title",
        "owner",
        "kind",
        "source_module",
        "operation",
        "width",
        "height",
        "file_size",
        "status",
        "created_at",
    ]
    list_filter = ["kind", "source_module", "status", "provider", "is_favourite"]
    search_fields = ["public_id", "title", "prompt", "owner__email", "checksum", "model"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner", "parent"]
    readonly_fields = [
        "public_id",
        "file",
        "thumbnail",
        "content_type",
        "file_size",
        "checksum",
        "width",
        "height",
        "source_job_id",
        "cost_credits",
        "created_at",
        "updated_at",
    ]
