import pytest

from imagestudio import health


@pytest.mark.django_db
def test_health_reports_every_service(client):
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "storage"}
    assert all(c["status"] == "ok" for c in body["checks"].values())


@pytest.mark.django_db
def test_health_is_503_when_a_service_is_down(client, monkeypatch):
    def down():
        raise ConnectionRefusedError("secret-host:6379 refused")

    monkeypatch.setitem(health.CHECKS, "cache", down)
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["cache"] == {
        "status": "error",
        "error": "ConnectionRefusedError",
        "ms": body["checks"]["cache"]["ms"],
    }
    assert "secret-host" not in response.content.decode()
    assert body["checks"]["database"]["status"] == "ok"
