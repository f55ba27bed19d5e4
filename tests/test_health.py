import pytest

from imagestudio import health


@pytest.fixture(autouse=True)
def _fresh_health_cache():
    health.reset_cache()
    yield
    health.reset_cache()


@pytest.fixture
def counted_checks(monkeypatch):
    """Wrap every deep check so a test can see how often each ran."""
    calls = {name: 0 for name in health.CHECKS}
    for name, check in list(health.CHECKS.items()):

        def counting(check=check, name=name):
            calls[name] += 1
            check()

        monkeypatch.setitem(health.CHECKS, name, counting)
    return calls


@pytest.mark.django_db
def test_public_liveness_touches_no_service(client, counted_checks):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert sum(counted_checks.values()) == 0


@pytest.mark.django_db
def test_deep_check_is_refused_without_token_or_staff(client, alice_client, settings):
    settings.HEALTH_TOKEN = "s3cret-health-token"
    for who in (client, alice_client):
        response = who.get("/health/deep/")
        assert response.status_code == 403
        assert "checks" not in response.json()
    response = client.get("/health/deep/", HTTP_AUTHORIZATION="Bearer wrong-token")
    assert response.status_code == 403


@pytest.mark.django_db
def test_deep_check_without_a_configured_token_needs_staff(client, settings):
    settings.HEALTH_TOKEN = ""
    assert client.get("/health/deep/", HTTP_AUTHORIZATION="Bearer ").status_code == 403


@pytest.mark.django_db
def test_deep_check_with_token_reports_every_service(client, settings):
    settings.HEALTH_TOKEN = "s3cret-health-token"
    response = client.get("/health/deep/", HTTP_AUTHORIZATION="Bearer s3cret-health-token")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "storage"}
    assert all(c["status"] == "ok" for c in body["checks"].values())


@pytest.mark.django_db
def test_deep_check_for_staff(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert client.get("/health/deep/").status_code == 200


@pytest.mark.django_db
def test_deep_check_is_cached_for_a_few_seconds(client, settings, counted_checks):
    settings.HEALTH_TOKEN = "tok"
    settings.HEALTH_CACHE_SECONDS = 60
    for _ in range(5):
        assert client.get("/health/deep/", HTTP_AUTHORIZATION="Bearer tok").status_code == 200
    assert counted_checks == {name: 1 for name in health.CHECKS}
    settings.HEALTH_CACHE_SECONDS = 0
    client.get("/health/deep/", HTTP_AUTHORIZATION="Bearer tok")
    assert counted_checks["storage"] == 2


@pytest.mark.django_db
def test_deep_check_is_503_when_a_service_is_down(client, monkeypatch, settings):
    settings.HEALTH_TOKEN = "tok"

    def down():
        raise ConnectionRefusedError("secret-host:6379 refused")

    monkeypatch.setitem(health.CHECKS, "cache", down)
    response = client.get("/health/deep/", HTTP_AUTHORIZATION="Bearer tok")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["cache"] == {
        "status": "error",
        "error": "ConnectionRefusedError",
        "ms": body["checks"]["cache"]["ms"],
    }
    assert "secret-host" not in response.content.decode()
    assert body["checks"]["database"]["status"] == "ok"
