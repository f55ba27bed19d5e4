from datetime import UTC, datetime, timedelta

from django.conf import settings

from billing.models import CreditAccount, LedgerEntry, Subscription
from billing.selectors import ledger_totals
from billing.services import (
    add_months,
    credits_add,
    period_containing,
    plan_change,
    subscription_renew,
    subscriptions_renew,
)
from billing.tasks import grant_monthly_credits

Kind = LedgerEntry.Kind


def _grants(user):
    return LedgerEntry.objects.filter(account__user=user, kind=Kind.GRANT)


def test_add_months_clamps_the_day():
    jan31 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert add_months(jan31, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert add_months(jan31, 2) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    assert add_months(jan31, -2) == datetime(2025, 11, 30, 9, 30, tzinfo=UTC)
    start, end = period_containing(jan31, datetime(2026, 3, 15, tzinfo=UTC))
    assert (start, end) == (add_months(jan31, 1), add_months(jan31, 2))


def test_monthly_grant_runs_once_per_period(alice):
    sub = Subscription.objects.get(user=alice)
    later = sub.current_period_end + timedelta(hours=1)

    first = subscriptions_renew(now=later)
    second = subscriptions_renew(now=later)
    # Even a renewal that ignores the period bookkeeping (a retried worker holding stale
    # state) grants nothing twice: the ledger refuses the period's reference.
    Subscription.objects.filter(pk=sub.pk).update(current_period_end=sub.current_period_end)
    third = subscription_renew(subscription_id=sub.pk, now=later)

    assert first == {"granted": 1, "skipped": 0}
    assert second == {"granted": 0, "skipped": 0}
    assert third is None
    assert _grants(alice).count() == 2
    sub.refresh_from_db()
    assert sub.current_period_start == add_months(sub.anchor, 1)


def _backdate(user, days):
    anchor = Subscription.objects.get(user=user).anchor - timedelta(days=days)
    Subscription.objects.filter(user=user).update(
        anchor=anchor, current_period_start=anchor, current_period_end=add_months(anchor, 1)
    )


def test_the_celery_task_renews_due_subscriptions(alice, bob):
    _backdate(alice, 40)
    assert grant_monthly_credits() == {"granted": 1, "skipped": 0}
    assert grant_monthly_credits() == {"granted": 0, "skipped": 0}
    assert _grants(alice).count() == 2
    assert _grants(bob).count() == 1


def test_unused_free_credits_expire_and_paid_ones_roll_over_up_to_the_cap(alice, plan):
    credits_add(user=alice, amount=100, kind=Kind.PURCHASE, reason="pack")
    sub = Subscription.objects.get(user=alice)
    subscriptions_renew(now=sub.current_period_end + timedelta(minutes=1))

    account = CreditAccount.objects.get(user=alice)
    expiry = LedgerEntry.objects.get(account=account, kind=Kind.EXPIRY)
    assert expiry.amount == -50  # Free keeps no plan credits; the purchase stays
    assert account.balance == 100 + 50
    assert account.plan_credits == 50

    plan_change(user=alice, plan=plan("creator"))  # Free credits above its cap (0) expire
    account.refresh_from_db()
    assert (account.balance, account.plan_credits) == (100 + 1000, 1000)
    sub.refresh_from_db()
    subscriptions_renew(now=sub.current_period_end + timedelta(minutes=1))
    account.refresh_from_db()
    # 1000 unused roll over (the cap), the new grant adds 1000 on top.
    assert (account.balance, account.plan_credits) == (100 + 2000, 2000)
    totals = ledger_totals(account=account)
    assert (totals.balance, totals.plan_credits) == (account.balance, account.plan_credits)


def test_changing_plan_twice_does_not_grant_twice(alice, plan):
    plan_change(user=alice, plan=plan("pro"))
    plan_change(user=alice, plan=plan("pro"))
    assert list(_grants(alice).values_list("amount", flat=True).order_by("id")) == [50, 4000]


def test_inactive_subscriptions_are_not_granted(alice):
    _backdate(alice, 40)
    Subscription.objects.filter(user=alice).update(status=Subscription.Status.PAST_DUE)
    assert subscriptions_renew() == {"granted": 0, "skipped": 0}


def test_beat_runs_the_grant_task():
    entry = settings.CELERY_BEAT_SCHEDULE["grant-monthly-credits"]
    assert entry["task"] == "billing.tasks.grant_monthly_credits"
    assert grant_monthly_credits.name == entry["task"]
