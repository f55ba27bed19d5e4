"""Small site-wide views: the rate-limited staff login and the CSP report endpoint."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .ratelimits import over_limit, too_many

logger = logging.getLogger("imagestudio.security")
CSP_REPORT_MAX_BYTES = 16 * 1024


@login_not_required
def admin_login(request, extra_context=None):
    """The admin's login form behind the same attempt limits as the share boards: per
    client, and per client and account (so nobody can lock a staff member out)."""
    if request.method == "POST":
        client = request.META.get("REMOTE_ADDR", "")
        account = request.POST.get("username", "").strip().lower()[:254]
        wait = over_limit(
            request,
            [
                ("admin-login:client", client, settings.ADMIN_LOGIN_RATE_CLIENT),
                ("admin-login:account", f"{client}|{account}", settings.ADMIN_LOGIN_RATE_ACCOUNT),
            ],
        )
        if wait:
            return too_many(request, wait)
    return admin.site.login(request, extra_context)


@login_not_required
@csrf_exempt
@require_POST
def csp_report(request):
    """Browsers post Content-Security-Policy violations here; they are logged, not stored."""
    client = request.META.get("REMOTE_ADDR", "")
    if over_limit(request, [("csp-report", client, "60/m")]):
        return HttpResponse(status=204)
    raw = request.body[:CSP_REPORT_MAX_BYTES]
    try:
        report = json.loads(raw).get("csp-report", {})
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    if not isinstance(report, dict):
        return HttpResponse(status=400)
    logger.warning(
        "csp violation from %s: %s blocked %s on %s",
        client,
        str(report.get("violated-directive", ""))[:100],
        str(report.get("blocked-uri", ""))[:200],
        str(report.get("document-uri", ""))[:200],
    )
    return HttpResponse(status=204)
