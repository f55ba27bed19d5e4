import pytest
from django.core.cache import cache

from providers.fakes import start_all
from studio.jobs.provider_health import reset_app_registry


@pytest.fixture(scope="session")
def fake_servers():
    servers = start_all()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def providers_on(fake_servers, monkeypatch):
    """Point every provider at its fake server (keys set), with fresh health."""

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
def pro_plan(alice):
    """Alice on a plan that allows every provider, 10 variations and plenty of credits."""
    from billing.models import Plan
    from billing.services import credits_add, plan_change

    plan = Plan.objects.get(slug="pro")
    plan_change(user=alice, plan=plan)
    credits_add(user=alice, amount=5000, kind="purchase", reason="test credits")
    return plan
