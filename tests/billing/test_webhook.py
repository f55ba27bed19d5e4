from unittest import mock

import pytest
import stripe

from billing.models import CreditAccount, LedgerEntry, Subscription, WebhookEvent

from .helpers import stripe_event, stripe_signature

URL = "/billing/webhook/stripe/"
SECRET = "whsec_test_secret"


def _session(user, *, kind="pack", slug="small", **extra):
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "payment_status": "paid",
        "client_reference_id": str(user.pk),
        "customer": "cus_test_1",
        "subscription": None,
        "metadata": {"user_id": str(user.pk), "kind": kind, "slug": slug},
        **extra,
    }


def _post(client, payload, signature):
    return client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def test_a_signed_pack_purchase_grants_once_and_a_replay_grants_nothing(client, alice, stripe_on):
    payload = stripe_event("evt_pack_1", "checkout.session.completed", _session(alice))
    signature = stripe_signature(payload, SECRET)

    first = _post(client, payload, signature)
    replay = _post(client, payload, signature)

    assert (first.status_code, first.content) == (200, b"ok")
    assert (replay.status_code, replay.content) == (200, b"already processed")
    purchases = LedgerEntry.objects.filter(account__user=alice, kind=LedgerEntry.Kind.PURCHASE)
    assert [(p.amount, p.reference) for p in purchases] == [(500, "evt_pack_1")]
    assert CreditAccount.objects.get(user=alice).balance == 550
    assert WebhookEvent.objects.get(event_id="evt_pack_1").user == alice


def test_a_bad_signature_is_rejected_and_grants_nothing(client, alice, stripe_on):
    payload = stripe_event("evt_forged", "checkout.session.completed", _session(alice))
    assert _post(client, payload, stripe_signature(payload, "whsec_wrong")).status_code == 400
    assert _post(client, payload, "t=1,v1=deadbeef").status_code == 400
    assert _post(client, payload, "").status_code == 400
    tampered = payload.replace(b'"small"', b'"large"')
    assert _post(client, tampered, stripe_signature(payload, SECRET)).status_code == 400
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).exists()
    assert not WebhookEvent.objects.exists()


def test_a_stale_signature_is_rejected(client, alice, stripe_on):
    payload = stripe_event("evt_old", "checkout.session.completed", _session(alice))
    assert (
        _post(
            client, payload, stripe_signature(payload, SECRET, timestamp=1_000_000_000)
        ).status_code
        == 400
    )


def test_webhook_without_a_secret_configured_rejects_everything(client, alice):
    payload = stripe_event("evt_x", "checkout.session.completed", _session(alice))
    assert _post(client, payload, stripe_signature(payload, SECRET)).status_code == 400


def test_a_plan_checkout_changes_the_plan_and_a_cancellation_drops_to_free(
    client, alice, stripe_on
):
    session = _session(alice, kind="plan", slug="creator", subscription="sub_test_1")
    payload = stripe_event("evt_plan_1", "checkout.session.completed", session)
    assert _post(client, payload, stripe_signature(payload, SECRET)).status_code == 200
    assert _post(client, payload, stripe_signature(payload, SECRET)).status_code == 200
    sub = Subscription.objects.get(user=alice)
    assert (sub.plan.slug, sub.stripe_subscription_id, sub.stripe_customer_id) == (
        "creator",
        "sub_test_1",
        "cus_test_1",
    )
    grants = LedgerEntry.objects.filter(account__user=alice, kind=LedgerEntry.Kind.GRANT)
    assert sorted(grants.values_list("amount", flat=True)) == [50, 1000]

    deleted = stripe_event(
        "evt_sub_del", "customer.subscription.deleted", {"id": "sub_test_1", "status": "canceled"}
    )
    assert _post(client, deleted, stripe_signature(deleted, SECRET)).status_code == 200
    sub.refresh_from_db()
    assert (sub.plan.slug, sub.stripe_subscription_id) == ("free", "")


def test_an_unpaid_session_grants_nothing(client, alice, stripe_on):
    payload = stripe_event(
        "evt_unpaid", "checkout.session.completed", _session(alice, payment_status="unpaid")
    )
    assert _post(client, payload, stripe_signature(payload, SECRET)).status_code == 200
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).exists()


def test_checkout_redirects_to_stripe(client, alice, stripe_on):
    client.force_login(alice)
    fake = mock.Mock(url="https://checkout.stripe.test/c/pay/cs_test_1")
    with mock.patch.object(stripe.checkout.Session, "create", return_value=fake) as create:
        response = client.post("/billing/packs/medium/checkout/")
    assert response.status_code == 302
    assert response["Location"] == fake.url
    kwargs = create.call_args.kwargs
    assert kwargs["mode"] == "payment"
    assert kwargs["metadata"] == {"user_id": str(alice.pk), "kind": "pack", "slug": "medium"}
    assert kwargs["line_items"][0]["price_data"]["unit_amount"] == 2200
    assert kwargs["api_key"] == "sk_test_not_a_real_key"

    with mock.patch.object(stripe.checkout.Session, "create", return_value=fake) as create:
        client.post("/billing/plans/pro/choose/")
    assert create.call_args.kwargs["mode"] == "subscription"
    assert create.call_args.kwargs["line_items"][0]["price_data"]["recurring"] == {
        "interval": "month"
    }


def test_checkout_with_payments_off_explains_and_charges_nothing(client, alice):
    client.force_login(alice)
    with mock.patch.object(stripe.checkout.Session, "create") as create:
        response = client.post("/billing/packs/small/checkout/", follow=True)
    create.assert_not_called()
    assert b"Payments are off on this server" in response.content


@pytest.mark.parametrize("method", ["get", "put"])
def test_webhook_only_accepts_post(client, method):
    assert getattr(client, method)(URL).status_code == 405


def test_switching_between_paid_plans_cancels_the_old_subscription(client, alice, stripe_on):
    first = _session(alice, kind="plan", slug="creator", subscription="sub_old")
    payload = stripe_event("evt_plan_a", "checkout.session.completed", first)
    with mock.patch.object(stripe.Subscription, "cancel") as cancel:
        assert _post(client, payload, stripe_signature(payload, SECRET)).status_code == 200
        cancel.assert_not_called()  # nothing to replace yet
        second = _session(alice, kind="plan", slug="pro", subscription="sub_new", id="cs_test_2")
        payload = stripe_event("evt_plan_b", "checkout.session.completed", second)
        assert _post(client, payload, stripe_signature(payload, SECRET)).status_code == 200
    assert cancel.call_args.args == ("sub_old",)
    sub = Subscription.objects.get(user=alice)
    assert (sub.plan.slug, sub.stripe_subscription_id) == ("pro", "sub_new")
