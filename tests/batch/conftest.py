"""Batch fixtures: a private provider-slot file, a plan with room, credits, images."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from billing.models import Plan, PriceRule
from billing.services import credits_add, plan_change
from studio.batch.limits import reset_limiter
from tests.utils import image_bytes


@pytest.fixture(autouse=True)
def _batch_settings(settings, tmp_path):
    settings.BATCH_LIMITER_URL = ""
    settings.BATCH_LIMITER_FILE = str(tmp_path / "batch-limits.json")
    settings.BATCH_FETCH_ALLOW_LOOPBACK = False
    reset_limiter()
    yield
    reset_limiter()


@pytest.fixture
def eager():
    """Celery tasks run in-process where they are enqueued (jobs included)."""
    from imagestudio.celery import app

    changes = app.conf.changes
    had, previous = "task_always_eager" in changes, changes.get("task_always_eager")
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        if had:
            changes["task_always_eager"] = previous
        else:
            changes.pop("task_always_eager", None)


@pytest.fixture
def priced(db):
    """Local convert costs 2 credits a row, so holds and charges are visible."""
    PriceRule.objects.update_or_create(
        operation="tools.convert",
        provider="local",
        model="",
        tier="",
        defaults={"credits_per_unit": 2, "note": "test price"},
    )


@pytest.fixture
def business(alice):
    """Alice on a plan that allows big batches and several jobs at once, with credits."""
    plan = Plan.objects.get(slug="business")
    plan_change(user=alice, plan=plan)
    return alice


@pytest.fixture
def funded(business):
    def fund(amount: int):
        credits_add(user=business, amount=amount, kind="adjustment", reason="test")

    return fund


class _Images(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if callable(body):
            body(self.wfile)
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_server(settings):
    """A loopback HTTP server with images, an HTML page, redirects and a huge file."""
    settings.BATCH_FETCH_ALLOW_LOOPBACK = True
    png = image_bytes("PNG", (80, 60))
    jpeg = image_bytes("JPEG", (90, 60))

    def endless(wfile):
        chunk = b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 - 8)
        try:
            for _ in range(600):
                wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    routes = {
        "/a.png": (200, {"Content-Type": "image/png"}, png),
        "/b.jpg": (200, {"Content-Type": "image/jpeg"}, jpeg),
        "/lying.jpg": (
            200,
            {"Content-Type": "image/jpeg"},
            b"<!DOCTYPE html><html><body>Not found</body></html>",
        ),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<html><body>hello</body></html>" * 10),
        "/huge.png": (
            200,
            {"Content-Type": "image/png", "Content-Length": str(600 * 1024 * 1024)},
            endless,
        ),
        "/streamed-huge.png": (
            200,
            {"Content-Type": "image/png", "Content-Length": "0", "Connection": "close"},
            endless,
        ),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-a": (302, {"Location": "/a.png"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/error": (500, {}, b"boom"),
    }

    class Handler(_Images):
        pass

    Handler.routes = routes
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run ``fn`` and then what it scheduled on commit (the test transaction never commits)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture(scope="session")
def fake_servers():
    from providers.fakes import start_all

    servers = start_all()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def providers_on(fake_servers, monkeypatch):
    """Point the named providers at their fake servers, with fresh health."""
    from django.core.cache import cache

    from studio.jobs.provider_health import reset_app_registry

    def enable(*names):
        for name, server in fake_servers.items():
            server.reset()
            if name in names:
                for key, value in server.env().items():
                    monkeypatch.setenv(key, value)
        reset_app_registry()
        cache.clear()
        return fake_servers

    yield enable
    reset_app_registry()


@pytest.fixture
def slow_stability(monkeypatch):
    """The fake Stability API answering after 1 s, with the provider pointed at it."""
    from django.core.cache import cache

    from providers.fakes.stability import StabilityFake
    from studio.jobs.provider_health import reset_app_registry

    class Slow(StabilityFake):
        def handle(self, request):
            reply = super().handle(request)
            if request.method == "POST":
                reply.delay = 1.0
            return reply

    server = Slow().start()
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    reset_app_registry()
    cache.clear()
    try:
        yield server
    finally:
        server.stop()
        reset_app_registry()
