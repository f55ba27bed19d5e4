"""Staff see every batch and its rows; changes go through the batch page's actions."""

from django.contrib import admin

from .models import Batch, BatchRow


class BatchRowInline(admin.TabularInline):
    model = BatchRow
    extra = 0
    can_delete = False
    fields = ("number", "sku", "operation", "status", "credits", "credits_charged", "job", "error")
    readonly_fields = fields
    show_change_link = True


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "kind", "status", "scheduled_at", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("name", "owner__email", "owner__username", "public_id")
    raw_id_fields = ("owner",)
    readonly_fields = ("public_id", "created_at", "started_at", "finished_at", "notified_at")
    inlines = [BatchRowInline]


@admin.register(BatchRow)
class BatchRowAdmin(admin.ModelAdmin):
    list_display = ("batch", "number", "sku", "operation", "status", "credits", "credits_charged")
    list_filter = ("status",)
    search_fields = ("sku", "slug", "image_url", "batch__name", "batch__public_id")
    raw_id_fields = ("batch", "job", "input_asset")
    readonly_fields = ("hold_id",)
