"""``/health/`` (is the web process alive?) and ``/health/deep/`` (is every backing service
reachable?).

The liveness answer touches nothing, so anyone (a load balancer, an uptime probe) may ask
it as often as they like. The deep check writes to storage and connects to the broker:
it needs the ``HEALTH_TOKEN`` (``Authorization: Bearer …``) or a staff login, and its
result is reused for ``HEALTH_CACHE_SECONDS`` so a burst of probes costs one round.
"""

import hmac
import threading
import time
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


def _check_storage() -> None:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as fh:
            if fh.read() != b"ok":
                raise RuntimeError("storage returned other bytes")
    finally:
        default_storage.delete(name)


def _check_broker() -> None:
    # The Celery app module loads Django's settings: import it when a check runs, not
    # while the URLconf that names this view is being loaded.
    from imagestudio.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


CHECKS = {
    "database": _check_database,
    "broker": _check_broker,
    "cache": _check_cache,
    "storage": _check_storage,
}


_cache_lock = threading.Lock()
_cached: dict = {"at": 0.0, "body": None, "status": 0}


def _run_checks() -> tuple[dict, int]:
    results = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"status": "ok"}
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            healthy = False
            results[name] = {"status": "error", "error": type(exc).__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    body = {"status": "ok" if healthy else "error", "checks": results}
    return body, 200 if healthy else 503


def _allowed(request) -> bool:
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


@login_not_required
@never_cache
@require_GET
def health(request):
    """Liveness: the process answers. No database, cache or storage is touched."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def health_deep(request):
    """200 with every check "ok", or 503 naming what failed (never a stack trace)."""
    if not _allowed(request):
        return JsonResponse(
            {"status": "forbidden", "error": "Send the health token or sign in as staff."},
            status=403,
        )
    with _cache_lock:
        now = time.monotonic()
        if _cached["body"] is None or now - _cached["at"] >= settings.HEALTH_CACHE_SECONDS:
            body, status = _run_checks()
            _cached.update(at=time.monotonic(), body=body, status=status)
        body, status = _cached["body"], _cached["status"]
    return JsonResponse({**body, "cached_for": settings.HEALTH_CACHE_SECONDS}, status=status)


def reset_cache() -> None:
    """Forget the last deep check (tests, and after a configuration change)."""
    with _cache_lock:
        _cached.update(at=0.0, body=None, status=0)
