from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CreditAccount(models.Model):
    """A user's credit balance, a cache of the ledger updated under a row lock."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_account"
    )
    balance = models.IntegerField(default=0, help_text="Sum of the ledger's amounts")
    held = models.IntegerField(default=0, help_text="Credits reserved by running jobs")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(held__gte=0), name="account_held_not_negative"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
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
                fields=["job_id", "kind"], condition=Q(job_id__isnull=False), name="ledger_once_per_job"
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
