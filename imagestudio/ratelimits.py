"""Attempt limits shared by the share-board password form and the staff login.

Counts live in the cache (django-ratelimit's fixed windows). ``over_limit`` counts one
attempt against each rule and returns how many seconds the client must wait when any rule
is exhausted; ``too_many`` is the matching 429 answer with ``Retry-After``.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

logger = logging.getLogger("imagestudio.security")


def over_limit(request, rules: list[tuple[str, str, str]]) -> int:
    """Count an attempt under each ``(group, key, rate)``; seconds to wait, or 0."""
    wait = 0
    for group, key, rate in rules:
        usage = get_usage(
            request, group=group, key=lambda _group, _request, k=key: k, rate=rate, increment=True
        )
        if usage and usage["should_limit"]:
            wait = max(wait, usage["time_left"], 1)
    if wait:
        logger.warning(
            "rate limited: %s from %s for %ss",
            ",".join(group for group, _, _ in rules),
            request.META.get("REMOTE_ADDR", ""),
            wait,
        )
    return wait


def too_many(request, wait: int, *, template: str = "", context: dict | None = None):
    """429 Too Many Requests, saying when to try again."""
    minutes = max(1, round(wait / 60))
    message = f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    if template:
        body = render_to_string(template, {**(context or {}), "limit_message": message}, request)
        response = HttpResponse(body, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response
