from django.contrib import admin
from django.utils import timezone

from .library_cache import library_changed
from .models import (
    Asset,
    AssetPalette,
    AssetTag,
    Collection,
    CollectionItem,
    Rendition,
    SearchTerm,
    ShareLink,
    Tag,
    TemporaryLink,
    UsageEvent,
)


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
    list_filter = ["kind", "source_module", "status", "provider", "is_favourite", "is_mask"]
    search_fields = ["public_id", "title", "prompt", "owner__email", "checksum", "model"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner", "parent", "stacked_under"]
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


@admin.register(AssetPalette)
class AssetPaletteAdmin(admin.ModelAdmin):
    list_display = ["name", "asset", "mode", "created_at"]
    list_filter = ["mode"]
    search_fields = ["name", "public_id", "asset__public_id", "asset__title"]
    raw_id_fields = ["asset"]
    readonly_fields = ["public_id", "created_at"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["owner"]


@admin.register(AssetTag)
class AssetTagAdmin(admin.ModelAdmin):
    list_display = ["asset", "tag", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["tag__name", "asset__title", "asset__public_id"]
    raw_id_fields = ["asset", "tag"]


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    raw_id_fields = ["asset"]
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at", "updated_at"]
    search_fields = ["name", "owner__email", "description"]
    raw_id_fields = ["owner", "cover"]
    inlines = [CollectionItemInline]


@admin.register(CollectionItem)
class CollectionItemAdmin(admin.ModelAdmin):
    list_display = ["collection", "asset", "added_at"]
    search_fields = ["collection__name", "asset__title"]
    raw_id_fields = ["collection", "asset"]


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    list_display = ["asset", "spec", "width", "height", "file_size", "created_at"]
    list_filter = ["spec"]
    search_fields = ["asset__public_id", "asset__title"]
    raw_id_fields = ["asset"]
    readonly_fields = ["file", "width", "height", "file_size", "created_at"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "owner",
        "collection",
        "asset",
        "expires_at",
        "allow_download",
        "view_count",
        "download_count",
        "revoked_at",
        "created_at",
    ]
    list_filter = ["allow_download", "show_details"]
    search_fields = ["title", "owner__email", "token"]
    raw_id_fields = ["owner", "collection", "asset"]
    # The token is the link's secret and the password a hash: shown, never edited here.
    readonly_fields = ["token", "password", "view_count", "download_count", "created_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset):
        live = queryset.filter(revoked_at__isnull=True)
        owners = set(live.values_list("owner_id", flat=True))
        count = live.update(revoked_at=timezone.now())
        for owner_id in owners:  # their image pages list live links
            library_changed(owner_id)
        self.message_user(request, f"Revoked {count} link(s).")


@admin.register(UsageEvent)
class UsageEventAdmin(admin.ModelAdmin):
    list_display = ["asset", "kind", "share", "context", "created_at"]
    list_filter = ["kind"]
    search_fields = ["asset__public_id", "asset__title", "context"]
    raw_id_fields = ["asset", "share"]
    date_hierarchy = "created_at"


@admin.register(TemporaryLink)
class TemporaryLinkAdmin(admin.ModelAdmin):
    list_display = ["public_id", "asset", "created_at", "expires_at", "revoked_at"]
    search_fields = ["public_id", "asset__public_id", "asset__title"]
    raw_id_fields = ["asset"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset):
        live = queryset.filter(revoked_at__isnull=True)
        owners = set(live.values_list("asset__owner_id", flat=True))
        count = live.update(revoked_at=timezone.now())
        for owner_id in owners:
            library_changed(owner_id)
        self.message_user(request, f"Revoked {count} link(s).")


@admin.register(SearchTerm)
class SearchTermAdmin(admin.ModelAdmin):
    """The words a misspelt search is corrected against (read-only: the services add them)."""

    list_display = ["word", "owner"]
    search_fields = ["word", "owner__email"]
    raw_id_fields = ["owner"]
