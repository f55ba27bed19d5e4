import pytest
from django.core.cache import cache

from billing.models import Plan
from billing.services import credits_add, plan_change
from providers.fakes import start_all
from providers.http import Clock
from studio.jobs.provider_health import reset_app_registry


@pytest.fixture(scope="session")
def fake_servers():
    servers = start_all()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def providers_on(fake_servers, monkeypatch):
    """Point the named providers at their fake servers (keys set), with fresh health.

    Polling sleeps are cut short so asynchronous jobs (creative upscale, video) finish in
    milliseconds while still going through submit → 202 → poll → result.
    """
    real_sleep = Clock.sleep
    monkeypatch.setattr(Clock, "sleep", lambda self, seconds: real_sleep(self, min(seconds, 0.01)))

    def enable(*names):
        for name, server in fake_servers.items():
            server.reset()
            if not names or name in names:
                for key, value in server.env().items():
                    monkeypatch.setenv(key, value)
        reset_app_registry()
        cache.clear()
        return fake_servers

    yield enable
    reset_app_registry()


@pytest.fixture
def on_plan(alice):
    """Put alice on a plan (by slug) with plenty of credits."""

    def put(slug: str, credits: int = 5000):
        plan = Plan.objects.get(slug=slug)
        plan_change(user=alice, plan=plan)
        if credits:
            credits_add(user=alice, amount=credits, kind="purchase", reason="test credits")
        return plan

    return put
