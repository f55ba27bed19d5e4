"""Credit movements, subscriptions and pre-flight checks.

Every balance change locks the account row (``SELECT … FOR UPDATE``) and appends one
ledger entry in the same transaction, so the cached balance always equals the ledger's
sum and concurrent requests queue on the lock instead of overdrawing. The database backs
this up: the account may not go negative or hold more than it has, and the ledger is
unique per (job, kind) and per (account, kind, reference). Every operation here is
idempotent: repeating it returns the first result or does nothing.

Lock order, wherever both are taken: subscription row first, then the account row.

Unused credits: plan credits (from monthly grants) are spent before purchased ones. At
renewal, unused plan credits above the plan's ``rollover_cap`` expire through an EXPIRY
entry; purchased, refunded and staff-granted credits never expire.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .exceptions import (
    BillingError,
    InsufficientCredits,
    PlanLimitExceeded,
    PriceMissing,
    billing_url,
)
from .models import CreditAccount, LedgerEntry, Plan, Subscription
from .pricing import Quote, credits_label

__all__ = [
    "BillingError",
    "InsufficientCredits",
    "PlanLimitExceeded",
    "PriceMissing",
    "QuoteCheck",
    "account_for",
    "account_open",
    "credits_add",
    "credits_adjust",
    "hold_capture",
    "hold_place",
    "hold_release",
    "plan_change",
    "preflight",
    "quote_check",
    "refund_job",
    "subscription_renew",
    "subscriptions_renew",
]

Kind = LedgerEntry.Kind

PROVIDER_NAMES = {
    "stability": "Stability AI",
    "wavespeed": "WaveSpeed",
    "huggingface": "Hugging Face",
    "gemini": "Google Gemini",
    "openai": "OpenAI",
    "local": "the local engine",
}


# --------------------------------------------------------------------------- periods


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` shifted by whole months, clamping the day (Jan 31 + 1 → Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_containing(anchor: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The monthly period (start, end) counted from ``anchor`` that contains ``now``.

    Periods are computed from the anchor each time, not chained, so a short February
    doesn't drift the renewal day for the rest of the year.
    """
    months = max(0, (now.year - anchor.year) * 12 + (now.month - anchor.month))
    start = add_months(anchor, months)
    if start > now and months > 0:
        months -= 1
        start = add_months(anchor, months)
    return start, add_months(anchor, months + 1)


def period_reference(plan: Plan, start: datetime) -> str:
    """The ledger reference of a plan's grant (and expiry) for the period from ``start``."""
    return f"period:{plan.slug}:{start.isoformat()}"


# --------------------------------------------------------------------------- accounts


def plan_default() -> Plan:
    """The plan new users start on; seeds the default plans if the table is empty."""
    plan = Plan.objects.filter(is_default=True).first()
    if plan is None:
        from . import seed

        seed.seed_plans(Plan)
        plan = (
            Plan.objects.filter(is_default=True).first()
            or Plan.objects.order_by("position").first()
        )
    return plan


def account_lock(*, user, with_plan: bool = False, **annotations) -> CreditAccount:
    """Lock the user's account row for the rest of the current transaction.

    Take it first when a decision depends on more than the balance (e.g. how many jobs
    are running), so two requests can't both pass the same check.

    ``with_plan`` reads the user's subscription and plan in the same statement (give
    ``account.user.subscription`` to ``preflight``), and ``annotations`` are further values
    computed in it (e.g. the user's job counts): one round trip instead of several, with
    every value read once the lock is held. Only the account row is locked.
    """
    if not with_plan and not annotations:
        return _locked_account(user.pk)
    rows = CreditAccount.objects.select_for_update(of=("self",)).filter(user_id=user.pk)
    if with_plan:
        rows = rows.select_related("user__subscription__plan")
    if annotations:
        rows = rows.annotate(**annotations)
    account = rows.first()
    if account is None:  # a user's first movement: open the account, then read it locked
        _locked_account(user.pk)
        account = rows.first()
    return account


def _locked_account(user_id: int) -> CreditAccount:
    account = CreditAccount.objects.select_for_update().filter(user_id=user_id).first()
    if account is None:  # a user's first movement: open the account, then lock it
        CreditAccount.objects.get_or_create(user_id=user_id)
        account = CreditAccount.objects.select_for_update().get(user_id=user_id)
    return account


def _append(account: CreditAccount, **fields) -> LedgerEntry:
    """Apply one movement to the locked ``account`` and record it. Caller holds the lock."""
    amount = fields.get("amount", 0)
    account.balance += amount
    account.held += fields.get("held_delta", 0)
    if fields["kind"] == Kind.GRANT:
        account.plan_credits += amount
    elif amount < 0:
        # Debits spend plan credits first: they are the ones that can expire.
        account.plan_credits = max(0, account.plan_credits + amount)
    account.plan_credits = min(account.plan_credits, account.balance)
    entry = LedgerEntry(account=account, balance_after=account.balance, **fields)
    # The caller holds the account's row lock, so it exists: no need to look it up again.
    entry.full_clean(exclude=["account"], validate_constraints=False)
    entry.save()
    account.save(update_fields=["balance", "held", "plan_credits", "updated_at"])
    return entry


def _grant_period(
    account: CreditAccount, plan: Plan, start: datetime, staff=None
) -> LedgerEntry | None:
    reference = period_reference(plan, start)
    if not plan.monthly_credits:
        return None
    if LedgerEntry.objects.filter(account=account, kind=Kind.GRANT, reference=reference).exists():
        return None
    return _append(
        account,
        kind=Kind.GRANT,
        amount=plan.monthly_credits,
        reason=f"{plan.name} plan: monthly credits",
        reference=reference,
        staff=staff,
    )


def _expire_unused(account: CreditAccount, plan: Plan, reference: str) -> LedgerEntry | None:
    """Expire plan credits above ``plan.rollover_cap`` (never credits on hold)."""
    excess = min(account.plan_credits - plan.rollover_cap, account.available)
    if excess <= 0:
        return None
    if LedgerEntry.objects.filter(account=account, kind=Kind.EXPIRY, reference=reference).exists():
        return None
    return _append(
        account,
        kind=Kind.EXPIRY,
        amount=-excess,
        reason=f"Unused {plan.name} credits above the {plan.rollover_cap}-credit rollover",
        reference=reference,
    )


@transaction.atomic
def account_open(*, user, now: datetime | None = None) -> CreditAccount:
    """Give ``user`` an account, a subscription on the default plan and its first grant.

    Idempotent: safe from a post_save signal, allauth's signup signal and lazily from
    views; however often it runs, the user gets one account, one subscription and one
    grant for the period (the grant's reference is the period start).
    """
    now = (now or timezone.now()).replace(microsecond=0)
    sub = Subscription.objects.filter(user=user).select_related("plan").first()
    if sub is None:
        plan = plan_default()
        sub, _ = Subscription.objects.get_or_create(
            user=user,
            defaults={
                "plan": plan,
                "anchor": now,
                "current_period_start": now,
                "current_period_end": add_months(now, 1),
            },
        )
    account = _locked_account(user.pk)
    if sub.status == Subscription.Status.ACTIVE:
        _grant_period(account, sub.plan, sub.current_period_start)
    return account


def account_for(*, user) -> CreditAccount:
    """The user's account, opened (with subscription and first grant) if it is new."""
    account = CreditAccount.objects.filter(user=user).first()
    if account is None or not Subscription.objects.filter(user=user).exists():
        account = account_open(user=user)
    return account


def subscription_for(*, user) -> Subscription:
    sub = Subscription.objects.select_related("plan").filter(user=user).first()
    if sub is None:
        account_open(user=user)
        sub = Subscription.objects.select_related("plan").get(user=user)
    return sub


# --------------------------------------------------------------------------- credits


@transaction.atomic
def credits_add(
    *,
    user,
    amount: int,
    kind: str,
    reason: str = "",
    reference: str = "",
    staff=None,
) -> LedgerEntry | None:
    """Add (or, for adjustments, remove) credits. Returns None if ``reference`` was applied before."""
    account = _locked_account(user.pk)
    if (
        reference
        and LedgerEntry.objects.filter(account=account, kind=kind, reference=reference).exists()
    ):
        return None
    if account.balance + amount < account.held:
        raise BillingError("An adjustment cannot take the balance below the credits on hold.")
    return _append(
        account, kind=kind, amount=amount, reason=reason, reference=reference, staff=staff
    )


def credits_adjust(
    *, user, amount: int, staff, reason: str, kind: str = Kind.ADJUSTMENT
) -> LedgerEntry:
    """A staff grant (positive) or correction (negative), recorded with who and why."""
    if not reason.strip():
        raise BillingError("Give a reason: it is shown in the ledger.")
    if amount == 0:
        raise BillingError("The amount must not be zero.")
    if kind not in (Kind.ADJUSTMENT, Kind.GRANT):
        raise BillingError("Staff can only grant or adjust credits.")
    return credits_add(user=user, amount=amount, kind=kind, reason=reason.strip(), staff=staff)


def hold_place(
    *,
    user,
    job_id: uuid.UUID,
    amount: int,
    module: str = "",
    provider: str = "",
    reason: str = "",
    account: CreditAccount | None = None,
    new: bool = False,
) -> LedgerEntry:
    """Reserve ``amount`` credits for a job, or raise ``InsufficientCredits``.

    Call inside the transaction that creates the job so both exist or neither does.
    Idempotent: a second hold for the same job returns the first. ``account``: the user's
    account as ``account_lock`` returned it in this transaction (saves locking it again).
    ``new``: ``job_id`` was made for this hold just now (a fresh job), so there is no
    earlier hold to look for; the ledger's one-hold-per-job constraint still stands.
    """
    if amount < 0:
        raise ValueError("A hold cannot be negative")
    entry = dict(job_id=job_id, module=module, provider=provider, reason=reason)
    if new and account is not None and account.user_id == user.pk:
        # Locked in the caller's transaction: check, then write in it (no savepoint; the
        # check raises before anything is written).
        return _hold(account, amount, **entry)
    with transaction.atomic():
        if account is None or account.user_id != user.pk:
            account = _locked_account(user.pk)
        existing = LedgerEntry.objects.filter(job_id=job_id, kind=Kind.HOLD).first()
        if existing:
            return existing
        return _hold(account, amount, **entry)


def _hold(account: CreditAccount, amount: int, **fields) -> LedgerEntry:
    if account.available < amount:
        raise InsufficientCredits(needed=amount, available=account.available, held=account.held)
    return _append(account, kind=Kind.HOLD, held_delta=amount, **fields)


def _hold_locked(job_id: uuid.UUID, account: CreditAccount | None = None):
    """Lock the account that holds credits for ``job_id``, then read the job's entries:
    ``(hold, account, settlement)``, ``(None, None, None)`` when the job has no hold.

    ``account``: the job owner's account, locked by the caller earlier in this transaction
    (e.g. together with the job row); it is used when it is the hold's account. The entries
    are read only once the lock is held, in a statement of their own, so they include any
    settlement committed by whoever held the lock before: the lock is what makes capture
    and release happen at most once between them.
    """
    if account is None:
        account = (
            CreditAccount.objects.select_for_update(of=("self",))
            .filter(entries__job_id=job_id, entries__kind=Kind.HOLD)
            .first()
        )
        if account is None:
            return None, None, None
    # A job has at most one entry of each kind: no order to ask the database for.
    entries = {e.kind: e for e in LedgerEntry.objects.filter(job_id=job_id).order_by()}
    hold = entries.get(Kind.HOLD)
    if hold is None:
        return None, None, None
    if hold.account_id != account.pk:
        return _hold_locked(job_id)
    return hold, account, entries.get(Kind.CAPTURE) or entries.get(Kind.RELEASE)


@transaction.atomic(savepoint=False)
def hold_capture(
    *,
    job_id: uuid.UUID,
    amount: int | None = None,
    provider: str = "",
    account: CreditAccount | None = None,
) -> LedgerEntry | None:
    """Charge a job's hold (all of it, or ``amount`` ≤ the hold) and free the reservation.

    Idempotent: a second call returns the first capture. Returns None when the job has no
    hold, or when it was released already (a canceled job is never charged). ``account``:
    the owner's account if the caller locked it in this transaction already.
    """
    hold, account, done = _hold_locked(job_id, account)
    if hold is None:
        return None
    if done is not None:
        return done if done.kind == Kind.CAPTURE else None
    charge = hold.held_delta if amount is None else max(0, min(amount, hold.held_delta))
    return _append(
        account,
        kind=Kind.CAPTURE,
        amount=-charge,
        held_delta=-hold.held_delta,
        job_id=job_id,
        module=hold.module,
        provider=provider or hold.provider,
        reason=hold.reason,
    )


@transaction.atomic(savepoint=False)
def hold_release(*, job_id: uuid.UUID, reason: str = "") -> LedgerEntry | None:
    """Give a job's reserved credits back. Idempotent; a no-op once captured or released."""
    hold, account, done = _hold_locked(job_id)
    if hold is None or done is not None:
        return None
    return _append(
        account,
        kind=Kind.RELEASE,
        held_delta=-hold.held_delta,
        job_id=job_id,
        module=hold.module,
        provider=hold.provider,
        reason=reason or hold.reason,
    )


@transaction.atomic
def refund_job(*, job_id: uuid.UUID, staff, reason: str) -> LedgerEntry:
    """Give back what a job was charged. Idempotent: a second refund returns the first.

    Raises ``BillingError`` when the job was never charged or no reason is given.
    """
    if not reason or not reason.strip():
        raise BillingError("Give a reason for the refund: it is shown in the ledger.")
    capture = LedgerEntry.objects.filter(job_id=job_id, kind=Kind.CAPTURE).first()
    if capture is None or capture.amount == 0:
        raise BillingError("This job was not charged, so there is nothing to refund.")
    account = CreditAccount.objects.select_for_update().get(pk=capture.account_id)
    existing = LedgerEntry.objects.filter(job_id=job_id, kind=Kind.REFUND).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _append(
                account,
                kind=Kind.REFUND,
                amount=-capture.amount,
                job_id=job_id,
                module=capture.module,
                provider=capture.provider,
                reason=reason.strip(),
                staff=staff,
            )
    except IntegrityError:
        return LedgerEntry.objects.get(job_id=job_id, kind=Kind.REFUND)


# --------------------------------------------------------------------------- plans


def plan_change(
    *,
    user,
    plan: Plan,
    staff=None,
    stripe_customer_id: str | None = None,
    stripe_subscription_id: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Move ``user`` to ``plan`` now: a new period starts with that plan's grant.

    Unused credits of the old plan follow its rollover rule first. Choosing the plan the
    user is already on changes nothing (besides recording Stripe ids), so a repeated
    request never grants twice.
    """
    now = (now or timezone.now()).replace(microsecond=0)
    account_for(user=user)
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().select_related("plan").get(user=user)
        if stripe_customer_id is not None:
            sub.stripe_customer_id = stripe_customer_id
        if stripe_subscription_id is not None:
            sub.stripe_subscription_id = stripe_subscription_id
        if sub.plan_id == plan.pk and sub.status == Subscription.Status.ACTIVE:
            sub.full_clean()
            sub.save(update_fields=["stripe_customer_id", "stripe_subscription_id", "updated_at"])
            return sub
        account = _locked_account(user.pk)
        _expire_unused(account, sub.plan, period_reference(sub.plan, now))
        sub.plan = plan
        sub.status = Subscription.Status.ACTIVE
        sub.anchor = sub.current_period_start = now
        sub.current_period_end = add_months(now, 1)
        sub.full_clean()
        sub.save()
        _grant_period(account, plan, now, staff=staff)
    return sub


def subscription_set_status(*, stripe_subscription_id: str, status: str) -> Subscription | None:
    """Mirror a payment provider's subscription status; a canceled one drops to the default plan."""
    sub = Subscription.objects.filter(stripe_subscription_id=stripe_subscription_id).first()
    if sub is None:
        return None
    if status == Subscription.Status.CANCELED:
        default = plan_default()
        sub = plan_change(user=sub.user, plan=default, stripe_subscription_id="")
        return sub
    Subscription.objects.filter(pk=sub.pk).update(status=status, updated_at=timezone.now())
    sub.refresh_from_db()
    return sub


def subscription_renew(*, subscription_id: int, now: datetime | None = None) -> LedgerEntry | None:
    """Start the period containing ``now`` if the current one has ended, and grant it.

    Returns the grant, or None when nothing was due (not active, not ended, or already
    granted by a concurrent or earlier run). Periods skipped while the scheduler was down
    are not granted retroactively: only the current one is.
    """
    now = now or timezone.now()
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_id)
        )
        if sub.status != Subscription.Status.ACTIVE or sub.current_period_end > now:
            return None
        start, end = period_containing(sub.anchor, now)
        account = _locked_account(sub.user_id)
        _expire_unused(account, sub.plan, period_reference(sub.plan, start))
        entry = _grant_period(account, sub.plan, start)
        sub.current_period_start, sub.current_period_end = start, end
        sub.save(update_fields=["current_period_start", "current_period_end", "updated_at"])
    return entry


def subscriptions_renew(*, now: datetime | None = None) -> dict[str, int]:
    """Renew every active subscription whose period has ended. Safe to run concurrently.

    Each subscription renews in its own transaction, so one failure doesn't undo the
    others and a retried run picks up where it stopped.
    """
    now = now or timezone.now()
    due = Subscription.objects.filter(
        status=Subscription.Status.ACTIVE, current_period_end__lte=now
    )
    granted = skipped = 0
    for pk in due.values_list("pk", flat=True).iterator():
        if subscription_renew(subscription_id=pk, now=now):
            granted += 1
        else:
            skipped += 1
    return {"granted": granted, "skipped": skipped}


# --------------------------------------------------------------------------- pre-flight


def _upgrade(plan: Plan, fits) -> Plan | None:
    """The first offered plan above ``plan`` for which ``fits(plan)`` is true."""
    for candidate in Plan.objects.filter(is_active=True, position__gt=plan.position).order_by(
        "position"
    ):
        if fits(candidate):
            return candidate
    return None


def _deny(message: str, *, limit: str, upgrade: Plan | None, offer: str) -> PlanLimitExceeded:
    if upgrade is not None:
        message = f"{message} Upgrade to {upgrade.name} {offer}."
    return PlanLimitExceeded(message, limit=limit, upgrade_to=upgrade)


def _mp(pixels: int | None) -> str:
    return "any size" if pixels is None else f"{pixels / 1_000_000:.1f} MP"


def _check_plan(
    plan: Plan,
    *,
    module: str,
    provider: str,
    model: str,
    variations: int,
    batch_size: int,
    output_pixels: int | None,
    upscale_mode: str,
    active_jobs: int | None,
    jobs_last_hour: int | None = None,
) -> None:
    name = f"Your {plan.name} plan"
    if not plan.allows("allowed_modules", module):
        up = _upgrade(plan, lambda p: p.allows("allowed_modules", module))
        raise _deny(
            f"{name} doesn't include {module.title()}.",
            limit="module",
            upgrade=up,
            offer="to use it",
        )
    if not plan.allows("allowed_providers", provider):
        label = PROVIDER_NAMES.get(provider, provider)
        up = _upgrade(plan, lambda p: p.allows("allowed_providers", provider))
        raise _deny(
            f"{name} doesn't include {label}.", limit="provider", upgrade=up, offer="to use it"
        )
    if not plan.allows("allowed_models", model):
        up = _upgrade(plan, lambda p: p.allows("allowed_models", model))
        raise _deny(
            f"{name} doesn't include the model “{model}”.",
            limit="model",
            upgrade=up,
            offer="to use it",
        )
    if upscale_mode and not plan.allows("upscale_modes", upscale_mode):
        up = _upgrade(plan, lambda p: p.allows("upscale_modes", upscale_mode))
        raise _deny(
            f"{name} doesn't include {upscale_mode} upscaling.",
            limit="upscale_mode",
            upgrade=up,
            offer="to use it",
        )
    if variations > plan.max_variations:
        up = _upgrade(plan, lambda p: p.max_variations >= variations)
        raise _deny(
            f"{name} allows up to {plan.max_variations} variation{'s' if plan.max_variations != 1 else ''} per request.",
            limit="variations",
            upgrade=up,
            offer=f"for up to {up.max_variations}" if up else "",
        )
    if batch_size > plan.max_batch_size:
        up = _upgrade(plan, lambda p: p.max_batch_size >= batch_size)
        raise _deny(
            f"{name} allows batches of up to {plan.max_batch_size} item{'s' if plan.max_batch_size != 1 else ''}.",
            limit="batch_size",
            upgrade=up,
            offer=f"for up to {up.max_batch_size}" if up else "",
        )
    if (
        output_pixels
        and plan.max_output_pixels is not None
        and output_pixels > plan.max_output_pixels
    ):
        up = _upgrade(
            plan, lambda p: p.max_output_pixels is None or p.max_output_pixels >= output_pixels
        )
        raise _deny(
            f"{name} allows outputs up to {_mp(plan.max_output_pixels)}; this one would be {_mp(output_pixels)}.",
            limit="resolution",
            upgrade=up,
            offer=f"for {_mp(up.max_output_pixels)}" if up else "",
        )
    if jobs_last_hour is not None and jobs_last_hour >= plan.max_jobs_per_hour:
        limit = plan.max_jobs_per_hour
        up = _upgrade(plan, lambda p: p.max_jobs_per_hour > jobs_last_hour)
        raise _deny(
            f"{name} allows {limit} jobs an hour and you have started {jobs_last_hour} in the "
            "last hour. Try again in a few minutes.",
            limit="jobs_per_hour",
            upgrade=up,
            offer=f"for up to {up.max_jobs_per_hour} an hour" if up else "",
        )
    if active_jobs is not None and active_jobs >= plan.max_concurrent_jobs:
        limit = plan.max_concurrent_jobs
        up = _upgrade(plan, lambda p: p.max_concurrent_jobs > active_jobs)
        raise _deny(
            f"{name} runs {limit} job{'s' if limit != 1 else ''} at a time and {active_jobs} "
            f"{'is' if active_jobs == 1 else 'are'} running. Wait for one to finish.",
            limit="concurrency",
            upgrade=up,
            offer=f"to run up to {up.max_concurrent_jobs} at once" if up else "",
        )


def preflight(
    *,
    user,
    quote: Quote,
    module: str,
    provider: str = "",
    model: str = "",
    variations: int = 1,
    batch_size: int = 1,
    output_pixels: int | None = None,
    upscale_mode: str = "",
    active_jobs: int | None = None,
    jobs_last_hour: int | None = None,
    account: CreditAccount | None = None,
    subscription: Subscription | None = None,
) -> None:
    """Raise ``BillingError`` if ``user`` may not run this request now; return None if they may.

    Checks the plan's limits (module, provider, model, upscale mode, variations, batch
    size, output pixels, and — when ``active_jobs``, the user's queued + running job count,
    is given — concurrency), then that the quote fits the available credits (balance minus
    credits on hold). ``PlanLimitExceeded`` links to the plans, ``InsufficientCredits`` to
    the credit packs.

    Call it inside the ``transaction.atomic`` block that then calls ``hold_place``: it
    then locks the account row, so the balance it checks is the one the hold sees and no
    concurrent request can spend it in between. Outside a transaction it reads without a
    lock (fine for a live estimate); ``hold_place`` re-checks under the lock anyway.
    It writes nothing except, for a user without one yet, opening the account. Give the
    ``account`` that ``account_lock`` returned in this transaction to check that one, and
    the ``subscription`` read with it (``account_lock(with_plan=True)``) to save reading it.
    """
    if subscription is not None and subscription.user_id == user.pk:
        sub = subscription
    else:
        sub = subscription_for(user=user)
    _check_plan(
        sub.plan,
        module=module,
        provider=provider or quote.provider,
        model=model or quote.model,
        variations=max(1, variations),
        batch_size=max(1, batch_size),
        output_pixels=output_pixels,
        upscale_mode=upscale_mode,
        active_jobs=active_jobs,
        jobs_last_hour=jobs_last_hour,
    )
    if output_pixels and output_pixels > settings.OUTPUT_MAX_PIXELS:
        # The server's own ceiling, whatever the plan: bigger images would exhaust memory.
        raise PlanLimitExceeded(
            f"This server makes images of up to {_mp(settings.OUTPUT_MAX_PIXELS)}; "
            f"this one would be {_mp(output_pixels)}.",
            limit="server_pixels",
        )
    if account is not None and account.user_id == user.pk:
        pass  # locked by the caller in this transaction: current
    elif transaction.get_connection().in_atomic_block:
        account = CreditAccount.objects.select_for_update().get(user=user)
    else:
        account = CreditAccount.objects.get(user=user)
    if quote.credits > account.available:
        raise InsufficientCredits(
            needed=quote.credits, available=account.available, held=account.held
        )


@dataclass(frozen=True)
class QuoteCheck:
    """A live estimate for the cost button: what it costs and whether it may run."""

    credits: int
    label: str
    allowed: bool
    reason: str = ""
    action_url: str = ""
    action_label: str = ""


def quote_check(*, user, quote: Quote, **limits) -> QuoteCheck:
    """``preflight`` as a value instead of an exception, for the HTMX estimate endpoint.

    ``limits`` are ``preflight``'s keyword arguments (module, provider, model, variations,
    batch_size, output_pixels, upscale_mode, active_jobs); module defaults to "".
    """
    limits.setdefault("module", "")
    try:
        preflight(user=user, quote=quote, **limits)
    except BillingError as exc:
        return QuoteCheck(
            credits=quote.credits,
            label=quote.label,
            allowed=False,
            reason=exc.message,
            action_url=exc.action_url,
            action_label=exc.action_label,
        )
    return QuoteCheck(credits=quote.credits, label=quote.label, allowed=True)


def quote_denied(*, error: BillingError, credits: int = 0) -> QuoteCheck:
    """A ``QuoteCheck`` for a request that could not even be priced (e.g. ``PriceMissing``)."""
    return QuoteCheck(
        credits=credits,
        label=credits_label(credits),
        allowed=False,
        reason=error.message,
        action_url=error.action_url,
        action_label=error.action_label,
    )


__all__ += ["billing_url", "quote_denied", "subscription_for", "subscription_set_status"]
