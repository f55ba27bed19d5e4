"""Every view needs a login unless it is marked ``@login_not_required``.

Django's own ``LoginRequiredMiddleware`` is the safety net under the per-view decorators:
a view that forgets its decorator is still private. The public ones (share boards and
temporary links, ``/health/``, the Stripe webhook, the CSP report endpoint) say so with
``login_not_required``; allauth's pages and the admin mark their own.
"""

from django.conf import settings
from django.contrib.auth import middleware
from django_htmx.http import HttpResponseClientRedirect


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    def handle_no_permission(self, request, view_func):
        if request.htmx:
            # A redirect would be swapped into the fragment; ask htmx to navigate instead.
            return HttpResponseClientRedirect(settings.LOGIN_URL_PATH)
        return super().handle_no_permission(request, view_func)
