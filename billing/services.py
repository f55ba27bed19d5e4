"""Credit movements. Every write locks the account row and appends to the ledger.

Holds, captures and releases are idempotent per job: the ledger is unique on
(job_id, kind), and each function checks what already happened under the row lock.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from .models import CreditAccount, LedgerEntry


class BillingError(Exception):
    def __init__(self, message: str, *, action_url: str = "", action_label: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.action_url = action_url
        self.action_label = action_label


class InsufficientCredits(BillingError):
    def __init__(self, *, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        gap = needed - available
        super().__init__(
            f"This needs {needed} credits and you have {available} available "
            f"({gap} more needed).",
            action_url="/billing/",
            action_label="Top up",
        )


def account_for(*, user) -> CreditAccount:
    account, _ = CreditAccount.objects.get_or_create(user=user)
    return account


def _locked_account(user_id: int) -> CreditAccount:
    CreditAccount.objects.get_or_create(user_id=user_id)
    return CreditAccount.objects.select_for_update().get(user_id=user_id)


def _append(account: CreditAccount, **fields) -> LedgerEntry:
    account.balance += fields.get("amount", 0)
    account.held += fields.get("held_delta", 0)
    entry = LedgerEntry(account=account, balance_after=account.balance, **fields)
    entry.full_clean(validate_constraints=False)
    entry.save()
    account.save(update_fields=["balance", "held", "updated_at"])
    return entry


@transaction.atomic
def credits_add(
    *, user, amount: int, kind: str, reason: str = "", reference: str = "", staff=None
) -> LedgerEntry | None:
    """Add (or, for adjustments, remove) credits. Returns None if ``reference`` was applied before."""
    account = _locked_account(user.pk)
    if reference and LedgerEntry.objects.filter(account=account, kind=kind, reference=reference).exists():
        return None
    if account.balance + amount < account.held:
        raise BillingError("An adjustment cannot take the balance below the credits on hold.")
    return _append(account, kind=kind, amount=amount, reason=reason, reference=reference, staff=staff)


@transaction.atomic
def hold_place(
    *, user, job_id: uuid.UUID, amount: int, module: str = "", provider: str = "", reason: str = ""
) -> LedgerEntry:
    """Reserve ``amount`` credits for a job, or raise ``InsufficientCredits``.

    Call inside the transaction that creates the job so both exist or neither does.
    """
    if amount < 0:
        raise ValueError("A hold cannot be negative")
    account = _locked_account(user.pk)
    existing = LedgerEntry.objects.filter(job_id=job_id, kind=LedgerEntry.Kind.HOLD).first()
    if existing:
        return existing
    if account.available < amount:
        raise InsufficientCredits(needed=amount, available=account.available)
    return _append(
        account,
        kind=LedgerEntry.Kind.HOLD,
        held_delta=amount,
        job_id=job_id,
        module=module,
        provider=provider,
        reason=reason,
    )


def _settled(job_id: uuid.UUID) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(
        job_id=job_id, kind__in=[LedgerEntry.Kind.CAPTURE, LedgerEntry.Kind.RELEASE]
    ).first()


@transaction.atomic
def hold_capture(*, job_id: uuid.UUID, amount: int | None = None, provider: str = "") -> LedgerEntry | None:
    """Charge a job's hold (all of it, or ``amount`` ≤ the hold) and free the reservation.

    Idempotent: a second call returns the first capture. Returns None when the job has no
    hold, or when it was released already (a canceled job is never charged).
    """
    hold = LedgerEntry.objects.filter(job_id=job_id, kind=LedgerEntry.Kind.HOLD).first()
    if hold is None:
        return None
    account = CreditAccount.objects.select_for_update().get(pk=hold.account_id)
    done = _settled(job_id)
    if done is not None:
        return done if done.kind == LedgerEntry.Kind.CAPTURE else None
    charge = hold.held_delta if amount is None else max(0, min(amount, hold.held_delta))
    try:
        with transaction.atomic():
            return _append(
                account,
                kind=LedgerEntry.Kind.CAPTURE,
                amount=-charge,
                held_delta=-hold.held_delta,
                job_id=job_id,
                module=hold.module,
                provider=provider or hold.provider,
                reason=hold.reason,
            )
    except IntegrityError:
        account.refresh_from_db()
        return _settled(job_id)


@transaction.atomic
def hold_release(*, job_id: uuid.UUID, reason: str = "") -> LedgerEntry | None:
    """Give a job's reserved credits back. Idempotent; a no-op once captured or released."""
    hold = LedgerEntry.objects.filter(job_id=job_id, kind=LedgerEntry.Kind.HOLD).first()
    if hold is None:
        return None
    account = CreditAccount.objects.select_for_update().get(pk=hold.account_id)
    if _settled(job_id) is not None:
        return None
    try:
        with transaction.atomic():
            return _append(
                account,
                kind=LedgerEntry.Kind.RELEASE,
                held_delta=-hold.held_delta,
                job_id=job_id,
                module=hold.module,
                provider=hold.provider,
                reason=reason or hold.reason,
            )
    except IntegrityError:
        account.refresh_from_db()
        return None
