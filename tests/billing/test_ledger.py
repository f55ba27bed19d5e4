import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from billing.models import CreditAccount, LedgerEntry, Subscription
from billing.pricing import estimate
from billing.selectors import ledger_totals
from billing.services import (
    BillingError,
    InsufficientCredits,
    account_for,
    account_open,
    credits_add,
    credits_adjust,
    hold_capture,
    hold_place,
    hold_release,
    refund_job,
)

Kind = LedgerEntry.Kind


def assert_cache_matches_ledger(account):
    account.refresh_from_db()
    totals = ledger_totals(account=account)
    assert (account.balance, account.held, account.plan_credits) == (
        totals.balance,
        totals.held,
        totals.plan_credits,
    )
    assert 0 <= account.held <= account.balance


def test_a_new_user_gets_account_free_plan_and_one_grant(alice):
    account = CreditAccount.objects.get(user=alice)
    sub = Subscription.objects.get(user=alice)
    assert sub.plan.slug == "free"
    grants = LedgerEntry.objects.filter(account=account, kind=Kind.GRANT)
    assert [g.amount for g in grants] == [sub.plan.monthly_credits]
    assert account.balance == sub.plan.monthly_credits

    # Every other way the account might be opened again changes nothing.
    account_open(user=alice)
    account_for(user=alice)
    alice.save()
    assert LedgerEntry.objects.filter(account=account, kind=Kind.GRANT).count() == 1
    assert Subscription.objects.filter(user=alice).count() == 1


def test_allauth_signup_opens_the_account_exactly_once(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-Long-pass-123",
            "password2": "a-Long-pass-123",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new@example.com")
    assert LedgerEntry.objects.filter(account__user=user, kind=Kind.GRANT).count() == 1
    assert Subscription.objects.get(user=user).plan.slug == "free"


def test_succeeded_job_captures_exactly_the_estimate(alice):
    credits_add(user=alice, amount=200, kind=Kind.PURCHASE, reason="test")
    quote = estimate(operation="create.generate", provider="stability", model="ultra", quantity=4)
    job_id = uuid.uuid4()
    hold_place(
        user=alice, job_id=job_id, amount=quote.credits, module="create", provider="stability"
    )
    before = CreditAccount.objects.get(user=alice).balance

    capture = hold_capture(job_id=job_id)

    assert capture.amount == -quote.credits == -32
    account = CreditAccount.objects.get(user=alice)
    assert account.balance == before - 32
    assert account.held == 0
    assert_cache_matches_ledger(account)


def test_capture_is_idempotent(alice):
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=10)
    first = hold_capture(job_id=job_id)
    second = hold_capture(job_id=job_id)
    assert first.pk == second.pk
    assert LedgerEntry.objects.filter(job_id=job_id, kind=Kind.CAPTURE).count() == 1
    assert hold_release(job_id=job_id) is None  # captured: nothing to give back
    account = CreditAccount.objects.get(user=alice)
    assert account.balance == 40 and account.held == 0
    assert_cache_matches_ledger(account)


def test_failed_job_releases_and_release_is_idempotent(alice):
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=30)
    assert CreditAccount.objects.get(user=alice).available == 20

    assert hold_release(job_id=job_id, reason="Failed: provider down") is not None
    assert hold_release(job_id=job_id) is None
    assert hold_capture(job_id=job_id) is None  # a released job is never charged

    account = CreditAccount.objects.get(user=alice)
    assert (account.balance, account.held) == (50, 0)
    assert LedgerEntry.objects.filter(job_id=job_id, kind=Kind.RELEASE).count() == 1
    assert_cache_matches_ledger(account)


def test_hold_is_idempotent_per_job(alice):
    job_id = uuid.uuid4()
    first = hold_place(user=alice, job_id=job_id, amount=5)
    assert hold_place(user=alice, job_id=job_id, amount=5).pk == first.pk
    assert CreditAccount.objects.get(user=alice).held == 5


def test_hold_beyond_available_raises_with_a_way_out(alice):
    hold_place(user=alice, job_id=uuid.uuid4(), amount=45)
    with pytest.raises(InsufficientCredits) as exc:
        hold_place(user=alice, job_id=uuid.uuid4(), amount=8)
    assert exc.value.message.startswith("Needs 3 more credits")
    assert "45 more are on hold" in exc.value.message
    assert exc.value.action_url == "/billing/#packs"
    assert exc.value.action_label == "Top up"
    assert CreditAccount.objects.get(user=alice).held == 45


def test_partial_capture_charges_less_and_frees_the_whole_hold(alice):
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=20)
    assert hold_capture(job_id=job_id, amount=12).amount == -12
    account = CreditAccount.objects.get(user=alice)
    assert (account.balance, account.held) == (38, 0)


def test_the_database_refuses_a_second_capture(alice):
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=5)
    capture = hold_capture(job_id=job_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            account=capture.account, kind=Kind.CAPTURE, amount=-5, job_id=job_id
        )


def test_the_database_refuses_an_overdraft(alice):
    account = CreditAccount.objects.get(user=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(pk=account.pk).update(held=account.balance + 1)


def test_refund_gives_back_the_capture_once_with_staff_and_reason(alice, make_user):
    staff = make_user(is_staff=True)
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=8, module="create", provider="stability")
    hold_capture(job_id=job_id)

    refund = refund_job(job_id=job_id, staff=staff, reason="Blurry result")
    again = refund_job(job_id=job_id, staff=staff, reason="Blurry result")

    assert refund.pk == again.pk
    assert (refund.amount, refund.staff, refund.reason, refund.module) == (
        8,
        staff,
        "Blurry result",
        "create",
    )
    account = CreditAccount.objects.get(user=alice)
    assert account.balance == 50
    assert_cache_matches_ledger(account)


def test_refund_needs_a_capture_and_a_reason(alice, make_user):
    staff = make_user(is_staff=True)
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=8)
    with pytest.raises(BillingError, match="not charged"):
        refund_job(job_id=job_id, staff=staff, reason="x")
    hold_capture(job_id=job_id)
    with pytest.raises(BillingError, match="reason"):
        refund_job(job_id=job_id, staff=staff, reason="  ")


def test_staff_adjustment_records_who_and_why_and_cannot_dip_into_holds(alice, make_user):
    staff = make_user(is_staff=True)
    entry = credits_adjust(user=alice, amount=25, staff=staff, reason="Goodwill")
    assert (entry.kind, entry.amount, entry.staff, entry.reason) == (
        Kind.ADJUSTMENT,
        25,
        staff,
        "Goodwill",
    )

    hold_place(user=alice, job_id=uuid.uuid4(), amount=70)
    with pytest.raises(BillingError, match="below the credits on hold"):
        credits_adjust(user=alice, amount=-10, staff=staff, reason="Correction")
    with pytest.raises(BillingError, match="reason"):
        credits_adjust(user=alice, amount=5, staff=staff, reason="")
    assert_cache_matches_ledger(CreditAccount.objects.get(user=alice))


def test_a_reference_is_applied_once(alice):
    assert credits_add(user=alice, amount=500, kind=Kind.PURCHASE, reference="evt_1") is not None
    assert credits_add(user=alice, amount=500, kind=Kind.PURCHASE, reference="evt_1") is None
    assert CreditAccount.objects.get(user=alice).balance == 550


def test_debits_spend_plan_credits_before_purchased_ones(alice):
    credits_add(user=alice, amount=100, kind=Kind.PURCHASE)
    job_id = uuid.uuid4()
    hold_place(user=alice, job_id=job_id, amount=30)
    hold_capture(job_id=job_id)
    account = CreditAccount.objects.get(user=alice)
    assert (account.balance, account.plan_credits) == (120, 20)
    assert_cache_matches_ledger(account)
