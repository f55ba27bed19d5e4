from unittest import mock

import pytest
from django.test import Client

from studio.jobs.provider_health import CacheHealthStore, app_registry
from studio.jobs.tasks import providers_refresh_balances
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True))
    return client


def test_status_page_lists_every_provider_with_health(staff_client):
    app_registry().record_failure("stability", 120.0)
    html = staff_client.get("/staff/providers/").content.decode()
    for label in ("Local engine", "Stability", "WaveSpeed", "Hugging Face", "Gemini", "OpenAI"):
        assert label in html
    assert "No key" in html
    assert "remove_background" in html


def test_status_page_is_staff_only(alice_client, client):
    assert alice_client.get("/staff/providers/").status_code == 302
    assert client.get("/staff/providers/").status_code == 302


def test_health_is_shared_through_the_cache():
    a, b = CacheHealthStore(prefix="t"), CacheHealthStore(prefix="t")
    a.record("x", ok=False, latency_ms=10, at=1.0)
    a.record("x", ok=False, latency_ms=20, at=2.0)
    snapshot = b.get("x")
    assert snapshot.consecutive_failures == 2 and [s.latency_ms for s in snapshot.samples] == [
        10,
        20,
    ]
    b.set_opened("x", 3.0)
    assert a.get("x").opened_at == 3.0


def test_balance_refresh_caches_answers(staff_client):
    stability = app_registry().get("local")  # always configured; give it a balance for the test
    with mock.patch.object(type(app_registry()), "configured", return_value=[stability]):
        stability.balance = lambda: 42.5
        try:
            result = providers_refresh_balances()
        finally:
            del stability.balance
    assert result["local"] == 42.5
    assert "42.5" in staff_client.get("/staff/providers/").content.decode()
