"""Headless Chromium against a live server, with jobs running for real.

The browser is Debian's ``chromium`` package driven through Playwright; nothing downloads a
browser. Without it every browser test skips with the command that enables it, and CI
(REQUIRE_BROWSER=1) turns that skip into a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from providers.fakes import start_all
from studio.jobs.provider_health import reset_app_registry

# Jobs run inside the request in these tests (eager Celery), and offline models are slow on
# a busy 2-core machine: give assertions room rather than fail on a loaded CI host.
expect.set_options(timeout=15_000)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all the browser tests; skips (fails in CI) when it isn't installed.

    Scoped to this package rather than the session on purpose. While Playwright's sync API
    is active it leaves its private event loop registered as the thread's running loop, and
    Django's async-safety check takes that for async code and refuses every query, even the
    test database's setup and flush. The test code here is synchronous, so the check is off
    exactly as long as Playwright runs, and both end before the next package's tests start.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"no {CHROMIUM}: install Debian's chromium package: apt-get install chromium "
            "(the browser tests never download a browser)"
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def _eager_celery():
    """Run Celery tasks in-process, right where they are enqueued, for one test.

    Set on the Celery app itself rather than through CELERY_TASK_ALWAYS_EAGER: a value that
    anything earlier in the run wrote to ``app.conf`` shadows the Django setting for good.
    Afterwards the app's own override is put back exactly as it was (or removed), so the
    Django setting speaks again.
    """
    from imagestudio.celery import app

    changes = app.conf.changes
    had_override, previous = "task_always_eager" in changes, changes.get("task_always_eager")
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        if had_override:
            changes["task_always_eager"] = previous
        else:
            changes.pop("task_always_eager", None)


@pytest.fixture
def studio(_eager_celery, browser, live_server, settings, tmp_path, transactional_db):
    """The live server, configured for browser tests; returns its base URL.

    Files go to a temporary folder on disk that the server thread and the test share, and
    jobs run in-process: with no worker in these tests, Celery's eager mode runs the task
    right after the job's row is committed (``apply_async_on_commit``), in the request
    (live server thread) that created it, so the job card's polling sees it finish.
    """
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    return live_server.url


@pytest.fixture
def page(browser, studio):
    """A fresh, signed-out desktop page; its context is closed after the test."""
    context = browser.new_context(viewport=DESKTOP, base_url=studio)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    violations = watch_csp(page)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


def watch_csp(page) -> list[str]:
    """Collect every Content-Security-Policy violation the page reports, however it is
    reported: Chromium logs each to the console and fires ``securitypolicyviolation``."""
    violations: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    page.context.add_init_script(
        """document.addEventListener("securitypolicyviolation", (e) => {
             console.error(`Content Security Policy: ${e.violatedDirective} blocked ` +
                           `${e.blockedURI} on ${e.documentURI}`);
           });"""
    )
    return violations


@pytest.fixture(scope="module")
def fake_servers():
    servers = start_all()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def providers(fake_servers, monkeypatch):
    """Point the named providers at their fake servers; every other provider is unset."""

    def enable(*names):
        for name, server in fake_servers.items():
            server.reset()
            for key, value in server.env().items():
                if name in names:
                    monkeypatch.setenv(key, value)
                else:
                    monkeypatch.delenv(key, raising=False)
        reset_app_registry()
        cache.clear()
        return fake_servers

    yield enable
    reset_app_registry()
