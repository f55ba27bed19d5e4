"""Staff-only pages: provider status."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .provider_health import app_registry
from .tasks import BALANCE_CACHE_KEY, providers_refresh_balances


@staff_member_required
def provider_status(request):
    rows = app_registry().status()
    balances = cache.get(BALANCE_CACHE_KEY) or {}
    for row in rows:
        row["balance"] = balances.get(row["name"])
    return render(
        request, "jobs/staff_providers.html", {"rows": rows, "balances_at": balances.get("_at")}
    )


@staff_member_required
@require_POST
def provider_balances_refresh(request):
    providers_refresh_balances.delay()
    messages.info(
        request, "Refreshing provider balances in the background; reload in a few seconds."
    )
    return redirect("studio:provider_status")
