"""Who is asking, and the headers every answer carries.

Behind a TLS proxy every request arrives from the proxy's address. ``client_address``
finds the visitor's own address from the trusted proxy's header, and
``ClientAddressMiddleware`` puts it into ``REMOTE_ADDR`` first thing, so allauth's login
limits, the rate limiter and the logs all see the same client address. The proxy's own
address stays in ``request.META["PROXY_ADDR"]``.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging

from django.conf import settings
from django.core.signals import request_finished

# The client address of the request being handled, for log lines (see ClientAddressFilter).
current_client: contextvars.ContextVar[str] = contextvars.ContextVar("client", default="-")


def _valid(address: str) -> str | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "203.0.113.7:51234"
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_address(meta) -> str:
    """The visitor's address under the trusted-proxy settings.

    ``CLIENT_IP_HEADER`` names a header that the proxy sets to the client's address (e.g.
    ``X-Real-IP``); otherwise, with ``TRUSTED_PROXY_COUNT`` proxies in front, the address
    is the one the outermost of them appended to ``X-Forwarded-For`` (entries to its left
    come from the client and prove nothing). Without a proxy, or when the header is
    missing or malformed, it is the socket's own address.
    """
    remote = meta.get("REMOTE_ADDR", "")
    if settings.CLIENT_IP_HEADER:
        value = meta.get("HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_"), "")
        return _valid(value.split(",")[-1]) or remote
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return _valid(hops[-count]) or remote
    return remote


class ClientAddressMiddleware:
    """Replace the proxy's address with the client's before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CLIENT_IP_HEADER or settings.TRUSTED_PROXY_COUNT:
            proxy = request.META.get("REMOTE_ADDR", "")
            request.META["PROXY_ADDR"] = proxy
            request.META["REMOTE_ADDR"] = client_address(request.META)
        # Kept until the response is closed, so Django's own request log line (written
        # after the middleware returns) names the client too.
        current_client.set(request.META.get("REMOTE_ADDR") or "-")
        return self.get_response(request)


def _request_finished(**kwargs) -> None:
    current_client.set("-")


request_finished.connect(_request_finished, dispatch_uid="imagestudio.security.client")


class ClientAddressFilter(logging.Filter):
    """Give every log record a ``client`` field: the address of the request being served
    (as resolved above), or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.client = current_client.get()
        return True


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer: the studio needs no camera, microphone, etc."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
