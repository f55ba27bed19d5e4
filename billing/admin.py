from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from .exceptions import BillingError
from .models import (
    CreditAccount,
    CreditPack,
    LedgerEntry,
    Plan,
    PriceRule,
    Subscription,
    WebhookEvent,
)
from .services import credits_adjust, plan_change, refund_job


class AdjustCreditsForm(forms.Form):
    amount = forms.IntegerField(help_text="Positive to grant, negative to take away.")
    reason = forms.CharField(max_length=255, help_text="Shown in the user's credit history.")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount must not be zero.")
        return amount


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.all())


class RefundForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Shown in the user's credit history.")


def _action_with_form(modeladmin, request, queryset, *, form_class, title, apply):
    """Render an intermediate form for an admin action, then apply it to each selected row.

    ``apply(obj, cleaned_data)`` returns a short success note; a ``BillingError`` is
    reported for that row and the others still run.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data)
                    done += 1
                except BillingError as exc:
                    modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            if done:
                modeladmin.message_user(
                    request, f"{title}: done for {done} row(s).", messages.SUCCESS
                )
            return None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "billing/admin/action_form.html", context)


@admin.action(description="Change plan…")
def change_plan(modeladmin, request, queryset):
    """Move the selected accounts' or subscriptions' users to another plan (with a form)."""

    def apply(obj, data):
        plan_change(user=obj.user, plan=data["plan"], staff=request.user)

    return _action_with_form(
        modeladmin,
        request,
        queryset.select_related("user"),
        form_class=ChangePlanForm,
        title="Change plan",
        apply=apply,
    )


@admin.register(CreditAccount)
class CreditAccountAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "plan_name",
        "balance",
        "held",
        "available_credits",
        "plan_credits",
        "updated_at",
    ]
    search_fields = ["user__email", "user__username"]
    readonly_fields = ["user", "balance", "held", "plan_credits", "created_at", "updated_at"]
    list_select_related = ["user", "user__subscription__plan"]
    actions = ["adjust_credits", change_plan]

    def has_add_permission(self, request):
        return False  # accounts open themselves when a user is created

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger points at it

    @admin.display(description="Plan")
    def plan_name(self, obj):
        sub = getattr(obj.user, "subscription", None)
        return sub.plan.name if sub else "—"

    @admin.display(description="Available")
    def available_credits(self, obj):
        return obj.available

    @admin.action(description="Grant or adjust credits…")
    def adjust_credits(self, request, queryset):
        def apply(account, data):
            credits_adjust(
                user=account.user, amount=data["amount"], staff=request.user, reason=data["reason"]
            )

        return _action_with_form(
            self,
            request,
            queryset.select_related("user"),
            form_class=AdjustCreditsForm,
            title="Grant or adjust credits",
            apply=apply,
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "amount",
        "held_delta",
        "balance_after",
        "job_id",
        "staff",
        "reason",
    ]
    list_filter = ["kind", "module", "provider"]
    search_fields = ["account__user__email", "job_id", "reason", "reference"]
    date_hierarchy = "created_at"
    list_select_related = ["account__user", "staff"]
    actions = ["refund_jobs"]

    def has_change_permission(self, request, obj=None):
        return False  # append-only

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    @admin.action(description="Refund the jobs of the selected captures…")
    def refund_jobs(self, request, queryset):
        def apply(entry, data):
            if entry.kind != LedgerEntry.Kind.CAPTURE or entry.job_id is None:
                raise BillingError("only job captures can be refunded.")
            refund_job(job_id=entry.job_id, staff=request.user, reason=data["reason"])

        return _action_with_form(
            self, request, queryset, form_class=RefundForm, title="Refund jobs", apply=apply
        )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "plan",
        "status",
        "current_period_start",
        "current_period_end",
        "stripe_subscription_id",
    ]
    list_filter = ["plan", "status"]
    search_fields = ["user__email", "stripe_customer_id", "stripe_subscription_id"]
    # The plan changes through the action so the grant and rollover rules apply.
    readonly_fields = [
        "user",
        "plan",
        "anchor",
        "current_period_start",
        "current_period_end",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["user", "plan"]
    actions = [change_plan]

    def has_add_permission(self, request):
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "position",
        "price_cents",
        "monthly_credits",
        "rollover_cap",
        "max_variations",
        "max_batch_size",
        "max_output_pixels",
        "max_concurrent_jobs",
        "is_default",
        "is_active",
    ]
    list_editable = ["position", "price_cents", "monthly_credits", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    list_display = [
        "operation",
        "provider",
        "model",
        "tier",
        "credits_per_unit",
        "credits_per_second",
        "min_seconds",
        "variation_multiplier",
        "is_active",
        "note",
    ]
    list_editable = ["credits_per_unit", "credits_per_second", "variation_multiplier", "is_active"]
    list_filter = ["provider", "is_active"]
    search_fields = ["operation", "model", "tier", "note"]


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "credits",
        "price_cents",
        "currency",
        "stripe_price_id",
        "position",
        "is_active",
    ]
    list_editable = ["credits", "price_cents", "position", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "type", "event_id", "user", "summary"]
    search_fields = ["event_id", "user__email"]
    list_filter = ["type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
