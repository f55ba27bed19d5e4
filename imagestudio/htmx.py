"""HTMX helpers every view uses: one definition of "this request wants a fragment",
fragment-or-page rendering with the right ``Vary`` header, and form re-targeting."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import reswap, retarget


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment: not a boosted link, not a history restore
    (both of which need the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Mark a response whose body depends on ``HX-Request`` so caches keep both forms."""
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    fragment: str = "",
    status: int | None = None,
) -> HttpResponse:
    """The whole page, or only its ``fragment`` partial for an htmx request."""
    name = f"{template}#{fragment}" if fragment and is_fragment(request) else template
    return vary_on_htmx(render(request, name, context, status=status))


def swap_into_self(response: HttpResponse, selector: str) -> HttpResponse:
    """Make an htmx form answer replace the form itself (``selector``), e.g. when it is
    invalid, whatever target the form asked for on success."""
    retarget(response, selector)
    reswap(response, "outerHTML")
    return response


class VaryOnHtmxMiddleware:
    """Adds ``Vary: HX-Request`` to every HTML response: any page may answer an htmx
    request with a fragment, so a cache must never hand one out for the other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            vary_on_htmx(response)
        return response
