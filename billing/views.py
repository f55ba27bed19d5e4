import csv
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from imagestudio.htmx import is_fragment

from . import payments
from .exceptions import BillingError
from .models import CreditPack, Plan
from .selectors import (
    ledger_for,
    packs_offered,
    plans_offered,
    usage_chart,
    usage_rows,
    usage_totals,
)
from .services import account_for, add_months, subscription_for

logger = logging.getLogger(__name__)

PERIODS = ("current", "previous")


def _period(request, sub):
    """(name, start, end) of the usage period asked for in ``?period=``."""
    name = request.GET.get("period", "current")
    if name not in PERIODS:
        name = "current"
    start, end = sub.current_period_start, sub.current_period_end
    if name == "previous":
        start, end = add_months(start, -1), start
    return name, start, end


@login_required
def overview(request):
    """Plan, balance, usage report, plans, packs and the ledger history."""
    account = account_for(user=request.user)
    sub = subscription_for(user=request.user)
    period, start, end = _period(request, sub)
    rows = usage_rows(user=request.user, start=start, end=end)
    page = Paginator(ledger_for(user=request.user), 25).get_page(request.GET.get("page"))
    context = {
        "account": account,
        "subscription": sub,
        "plan": sub.plan,
        "plans": plans_offered(),
        "packs": packs_offered(),
        "payments_enabled": payments.payments_enabled(),
        "period": period,
        "period_start": start,
        "period_end": end,
        "usage": rows,
        "usage_total": sum(r.credits for r in rows),
        "usage_by_module": usage_totals(rows, "module"),
        "usage_by_provider": usage_totals(rows, "provider"),
        "chart": usage_chart(rows=rows, start=start, end=end),
        "page": page,
        "query": f"period={period}",
    }
    if is_fragment(request):
        target = request.htmx.target
        if target == "ledger":
            return render(request, "billing/overview.html#ledger", context)
        if target == "usage":
            return render(request, "billing/overview.html#usage", context)
    return render(request, "billing/overview.html", context)


@login_required
def usage_csv(request):
    """The usage table of a period as CSV: date, module, provider, jobs, credits."""
    sub = subscription_for(user=request.user)
    period, start, end = _period(request, sub)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{start:%Y-%m-%d}-{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(["date", "module", "provider", "jobs", "credits"])
    for row in usage_rows(user=request.user, start=start, end=end):
        writer.writerow([row.day.isoformat(), row.module, row.provider, row.jobs, row.credits])
    return response


def _back(request, **flags):
    url = reverse("billing:overview")
    return request.build_absolute_uri(
        url + ("?" + "&".join(f"{k}={v}" for k, v in flags.items()) if flags else "")
    )


@login_required
@require_POST
def checkout_pack(request, slug):
    pack = get_object_or_404(CreditPack, slug=slug, is_active=True)
    try:
        url = payments.checkout_create(
            user=request.user,
            pack=pack,
            success_url=_back(request, checkout="success"),
            cancel_url=_back(request, checkout="canceled"),
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    return redirect(url)


@login_required
@require_POST
def choose_plan(request, slug):
    """Paid plan: off to Stripe Checkout. Free plan: switch now (cancelling the paid one)."""
    plan = get_object_or_404(Plan, slug=slug, is_active=True)
    sub = subscription_for(user=request.user)
    if sub.plan_id == plan.pk:
        messages.info(request, f"You are already on the {plan.name} plan.")
        return redirect("billing:overview")
    try:
        if not plan.price_cents and not plan.stripe_price_id:
            payments.plan_downgrade_to_free(user=request.user, plan=plan)
            messages.success(request, f"You are now on the {plan.name} plan.")
            return redirect("billing:overview")
        url = payments.checkout_create(
            user=request.user,
            plan=plan,
            success_url=_back(request, checkout="success"),
            cancel_url=_back(request, checkout="canceled"),
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    return redirect(url)


@login_not_required
@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events. 400 for anything unsigned or forged; 200 once handled."""
    try:
        event = payments.webhook_event_parse(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except payments.WebhookSignatureError as exc:
        logger.warning("rejected stripe webhook: %s", exc)
        return HttpResponseBadRequest("invalid signature")
    applied = payments.webhook_event_apply(event=event)
    return HttpResponse("ok" if applied else "already processed")
