from django.conf import settings
from django.contrib.auth.views import redirect_to_login


class LoginRequiredMiddleware:
    """Require a login for every path except the explicitly public ones.

    A safety net under the per-view ``login_required`` decorators: a view that forgets its
    decorator is still private. Public prefixes live in ``settings.PUBLIC_URL_PREFIXES``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(
            settings.PUBLIC_URL_PREFIXES
        ):
            if request.htmx:
                # A redirect would be swapped into the fragment; ask htmx to navigate instead.
                from django_htmx.http import HttpResponseClientRedirect

                return HttpResponseClientRedirect(settings.LOGIN_URL_PATH)
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
