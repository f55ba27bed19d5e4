"""Plans, subscriptions, the price table, credit packs and the append-only credit ledger.

Credits are integers. One credit is worth $0.01 of provider list price, the same unit
Stability AI bills in, so Stability's published credit costs carry over one to one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


def _validate_str_list(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError('Enter a JSON list of strings, e.g. ["stability", "local"].')


class Plan(models.Model):
    """A subscription tier: its monthly grant and the limits pre-flight enforces.

    List fields (providers, models, modules, upscale modes) are allowlists; an empty list
    means "everything".
    """

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order on the plans table; cheaper first"
    )
    is_default = models.BooleanField(default=False, help_text="New users start on this plan")
    is_active = models.BooleanField(default=True, help_text="Offered on the billing page")
    price_cents = models.PositiveIntegerField(default=0, help_text="Monthly price in cents")
    currency = models.CharField(max_length=3, default="usd")
    stripe_price_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="Recurring Stripe Price; blank = priced inline from price_cents",
    )
    monthly_credits = models.PositiveIntegerField(default=0)
    rollover_cap = models.PositiveIntegerField(
        default=0, help_text="Unused plan credits kept at renewal, at most; the rest expire"
    )
    max_variations = models.PositiveSmallIntegerField(default=1)
    max_batch_size = models.PositiveIntegerField(default=1)
    max_output_pixels = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Largest output (width × height); blank = no limit"
    )
    max_jobs_per_hour = models.PositiveIntegerField(
        default=60,
        help_text="Jobs a user may submit in any hour, free local jobs included",
    )
    max_concurrent_jobs = models.PositiveSmallIntegerField(default=1)
    upscale_modes = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_str_list],
        help_text='e.g. ["fast"]; empty = all',
    )
    allowed_providers = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_str_list],
        help_text="Provider names; empty = all",
    )
    allowed_models = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_str_list],
        help_text="Model ids; empty = all",
    )
    allowed_modules = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_str_list],
        help_text="Module names; empty = all",
    )

    class Meta:
        ordering = ["position", "price_cents"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="plan_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def price_display(self) -> str:
        if not self.price_cents:
            return "Free"
        dollars, cents = divmod(self.price_cents, 100)
        return f"${dollars}" if not cents else f"${dollars}.{cents:02d}"

    @property
    def max_output_megapixels(self) -> float | None:
        return (
            None if self.max_output_pixels is None else round(self.max_output_pixels / 1_000_000, 1)
        )

    def allows(self, field: str, value: str) -> bool:
        """True when ``value`` is in the allowlist ``field`` (an empty list allows all)."""
        allowed = getattr(self, field)
        return not allowed or not value or value in allowed


class Subscription(models.Model):
    """Which plan a user is on and the current credit period.

    Periods run month to month from ``anchor`` (the moment the plan started); each period
    is granted the plan's credits once, with the period start as the ledger reference.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    anchor = models.DateTimeField(
        default=timezone.now, help_text="Start of the first period on this plan"
    )
    current_period_start = models.DateTimeField(default=timezone.now)
    current_period_end = models.DateTimeField()
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_subscription_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The monthly renewal task scans only active subscriptions that are due.
            models.Index(
                fields=["current_period_end"],
                name="subscription_due_idx",
                condition=Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.plan}"


class PriceRule(models.Model):
    """What one unit of an operation costs, in credits.

    Blank ``provider``, ``model`` or ``tier`` match anything; the most specific active rule
    wins (provider, then model, then tier). A unit is one output (one image, one pack);
    video adds ``credits_per_second`` × max(seconds, ``min_seconds``). Variations after the
    first cost ``variation_multiplier`` × the unit price each.
    """

    operation = models.CharField(max_length=64, help_text='e.g. "create.generate"')
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=128, blank=True)
    tier = models.CharField(
        max_length=32, blank=True, help_text="Quality tier or resolution, e.g. 720p"
    )
    credits_per_unit = models.PositiveIntegerField(default=0)
    credits_per_second = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    min_seconds = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    variation_multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=1)
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, help_text="Where the number comes from")

    class Meta:
        ordering = ["operation", "provider", "model", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "provider", "model", "tier"], name="price_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        parts = [self.operation, self.provider or "any provider"]
        if self.model:
            parts.append(self.model)
        if self.tier:
            parts.append(self.tier)
        return " · ".join(parts)


class CreditPack(models.Model):
    """A one-off top-up sold through Stripe Checkout."""

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    stripe_price_id = models.CharField(max_length=64, blank=True, help_text="Blank = priced inline")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "price_cents"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credits} credits)"

    @property
    def price_display(self) -> str:
        dollars, cents = divmod(self.price_cents, 100)
        return f"${dollars}" if not cents else f"${dollars}.{cents:02d}"


class CreditAccount(models.Model):
    """A user's credit balance, a cache of the ledger updated under a row lock.

    ``plan_credits`` is the part of the balance that came from monthly grants. Every debit
    spends it first, and at renewal whatever exceeds the plan's rollover cap expires.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_account"
    )
    balance = models.IntegerField(default=0, help_text="Sum of the ledger's amounts")
    held = models.IntegerField(default=0, help_text="Credits reserved by running jobs")
    plan_credits = models.IntegerField(default=0, help_text="Unspent credits from monthly grants")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(held__gte=0), name="account_held_not_negative"),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="account_balance_not_negative"
            ),
            # The database itself refuses an overdraft: holds never exceed the balance.
            models.CheckConstraint(
                condition=Q(balance__gte=F("held")), name="account_held_covered"
            ),
            models.CheckConstraint(
                condition=Q(plan_credits__gte=0, plan_credits__lte=F("balance")),
                name="account_plan_credits_in_balance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.balance} credits"

    @property
    def available(self) -> int:
        return self.balance - self.held


class LedgerEntry(models.Model):
    """One append-only credit movement. Never updated, never deleted."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Monthly grant"
        PURCHASE = "purchase", "Purchase"
        HOLD = "hold", "Hold"
        CAPTURE = "capture", "Capture"
        RELEASE = "release", "Release"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Staff adjustment"
        EXPIRY = "expiry", "Expiry"

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Effect on the balance (captures are negative) and on the held amount.
    amount = models.IntegerField(default=0)
    held_delta = models.IntegerField(default=0)
    # A studio Job's public id: billing knows ids and amounts, not how jobs work.
    job_id = models.UUIDField(null=True, blank=True)
    module = models.CharField(max_length=16, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=128, blank=True, help_text="External id (payment event, grant period)"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    balance_after = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            # A job is held, captured, released and refunded at most once each.
            models.UniqueConstraint(
                fields=["job_id", "kind"],
                condition=Q(job_id__isnull=False),
                name="ledger_once_per_job",
            ),
            # An external event (payment, monthly grant period) is applied at most once.
            models.UniqueConstraint(
                fields=["account", "kind", "reference"],
                condition=~Q(reference=""),
                name="ledger_once_per_reference",
            ),
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="ledger_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d}"

    @property
    def is_debit(self) -> bool:
        return self.amount < 0


class WebhookEvent(models.Model):
    """A payment-provider event applied once; a replayed delivery finds its row and stops."""

    event_id = models.CharField(max_length=128, unique=True)
    type = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
