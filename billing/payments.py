"""Stripe Checkout for credit packs and plans, and the webhook that applies payments.

Payments stay off until ``STRIPE_SECRET_KEY`` is set. Checkout sessions carry the user,
what was bought and its slug in ``metadata``; the signed ``checkout.session.completed``
event is what grants credits or changes the plan, never the browser's return. Each event
is applied once: its id is stored in ``WebhookEvent`` (unique) in the same transaction as
its effect, and a pack purchase also uses the event id as its ledger reference.
"""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .exceptions import BillingError
from .models import CreditPack, LedgerEntry, Plan, Subscription, WebhookEvent
from .services import credits_add, plan_change, subscription_for, subscription_set_status

logger = logging.getLogger(__name__)


class WebhookSignatureError(Exception):
    """The payload is not a genuine, recent event signed with our webhook secret."""


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _line_item(
    *, name: str, price_cents: int, currency: str, stripe_price_id: str, recurring: bool
) -> dict:
    if stripe_price_id:
        return {"price": stripe_price_id, "quantity": 1}
    price_data = {"currency": currency, "unit_amount": price_cents, "product_data": {"name": name}}
    if recurring:
        price_data["recurring"] = {"interval": "month"}
    return {"price_data": price_data, "quantity": 1}


def checkout_create(
    *,
    user,
    pack: CreditPack | None = None,
    plan: Plan | None = None,
    success_url: str,
    cancel_url: str,
) -> str:
    """Open a Stripe Checkout session for a pack (one-off) or a plan (monthly); return its URL."""
    if not payments_enabled():
        raise BillingError("Payments are off on this server. Ask an administrator to add credits.")
    if (pack is None) == (plan is None):
        raise ValueError("Pass exactly one of pack or plan")
    if plan is not None and not plan.price_cents and not plan.stripe_price_id:
        raise BillingError(f"The {plan.name} plan is free: there is nothing to pay.")
    item = pack or plan
    metadata = {"user_id": str(user.pk), "kind": "pack" if pack else "plan", "slug": item.slug}
    params = {
        "mode": "payment" if pack else "subscription",
        "line_items": [
            _line_item(
                name=f"Image Studio · {item.name}" + ("" if pack else " plan"),
                price_cents=item.price_cents,
                currency=item.currency,
                stripe_price_id=item.stripe_price_id,
                recurring=plan is not None,
            )
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(user.pk),
        "metadata": metadata,
    }
    customer = subscription_for(user=user).stripe_customer_id
    if customer:
        params["customer"] = customer
    elif user.email:
        params["customer_email"] = user.email
    if plan is not None:
        params["subscription_data"] = {"metadata": metadata}
    try:
        session = stripe.checkout.Session.create(api_key=settings.STRIPE_SECRET_KEY, **params)
    except stripe.StripeError as exc:
        logger.warning("stripe checkout failed: %s", exc)
        raise BillingError(
            "The payment page could not be opened. Please try again in a minute."
        ) from exc
    return session.url


def webhook_event_parse(*, payload: bytes, signature: str) -> dict:
    """Verify Stripe's signature header and return the event as a plain dict."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookSignatureError("no webhook secret configured")
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise WebhookSignatureError(str(exc)) from exc
    return event.to_dict()


def _session_completed(event_id: str, session: dict) -> tuple[object | None, str]:
    metadata = session.get("metadata") or {}
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return None, "not paid yet"
    user = (
        get_user_model()
        .objects.filter(pk=metadata.get("user_id") or session.get("client_reference_id"))
        .first()
    )
    if user is None:
        return None, "unknown user"
    if metadata.get("kind") == "pack":
        pack = CreditPack.objects.filter(slug=metadata.get("slug")).first()
        if pack is None:
            return user, "unknown pack"
        credits_add(
            user=user,
            amount=pack.credits,
            kind=LedgerEntry.Kind.PURCHASE,
            reason=f"Credit pack: {pack.name}",
            reference=event_id,
        )
        return user, f"pack {pack.slug}: {pack.credits} credits"
    if metadata.get("kind") == "plan":
        plan = Plan.objects.filter(slug=metadata.get("slug")).first()
        if plan is None:
            return user, "unknown plan"
        new_id = session.get("subscription") or ""
        old_id = subscription_for(user=user).stripe_subscription_id
        if old_id and old_id != new_id and payments_enabled():
            # A switch between paid plans: end the old subscription so it stops billing.
            try:
                stripe.Subscription.cancel(old_id, api_key=settings.STRIPE_SECRET_KEY)
            except stripe.StripeError as exc:
                logger.error("could not cancel replaced subscription %s: %s", old_id, exc)
        plan_change(
            user=user,
            plan=plan,
            stripe_customer_id=session.get("customer") or "",
            stripe_subscription_id=session.get("subscription") or "",
        )
        return user, f"plan {plan.slug}"
    return user, "not ours"


_SUBSCRIPTION_STATUS = {
    "active": Subscription.Status.ACTIVE,
    "trialing": Subscription.Status.ACTIVE,
    "past_due": Subscription.Status.PAST_DUE,
    "unpaid": Subscription.Status.PAST_DUE,
    "canceled": Subscription.Status.CANCELED,
    "incomplete_expired": Subscription.Status.CANCELED,
}


def webhook_event_apply(*, event: dict) -> bool:
    """Apply a verified event once. Returns False when it had been applied before."""
    event_id, event_type = event["id"], event["type"]
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(event_id=event_id, type=event_type[:64])
            user, summary = None, "ignored"
            if event_type == "checkout.session.completed":
                user, summary = _session_completed(event_id, obj)
            elif event_type in ("customer.subscription.updated", "customer.subscription.deleted"):
                status = "canceled" if event_type.endswith("deleted") else obj.get("status", "")
                if status in _SUBSCRIPTION_STATUS and obj.get("id"):
                    sub = subscription_set_status(
                        stripe_subscription_id=obj["id"], status=_SUBSCRIPTION_STATUS[status]
                    )
                    user, summary = (sub.user if sub else None), f"subscription {status}"
            record.user = user
            record.summary = summary[:255]
            record.save(update_fields=["user", "summary"])
    except IntegrityError:
        if WebhookEvent.objects.filter(event_id=event_id).exists():
            return False
        raise
    return True


def plan_downgrade_to_free(*, user, plan: Plan) -> Subscription:
    """Switch to a plan without a price, cancelling the paid Stripe subscription first."""
    if plan.price_cents or plan.stripe_price_id:
        raise BillingError(f"The {plan.name} plan is paid: choose it through checkout.")
    sub = subscription_for(user=user)
    if sub.stripe_subscription_id and payments_enabled():
        try:
            stripe.Subscription.cancel(
                sub.stripe_subscription_id, api_key=settings.STRIPE_SECRET_KEY
            )
        except stripe.StripeError as exc:
            logger.warning("stripe cancel failed for %s: %s", sub.stripe_subscription_id, exc)
            raise BillingError(
                "Your paid subscription could not be cancelled. Please try again."
            ) from exc
    return plan_change(user=user, plan=plan, stripe_subscription_id="")
