from django.contrib import admin

from .models import CreditAccount, LedgerEntry


@admin.register(CreditAccount)
class CreditAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "balance", "held", "updated_at"]
    search_fields = ["user__email", "user__username"]
    readonly_fields = ["user", "balance", "held", "created_at", "updated_at"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "kind", "amount", "held_delta", "balance_after", "job_id", "reason"]
    list_filter = ["kind", "module", "provider"]
    search_fields = ["account__user__email", "job_id", "reason", "reference"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        return False  # append-only

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
