"""Sign-in limits: a guesser locks out only themselves, staff login is limited too."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def sign_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_failed_sign_ins_lock_out_the_guesser_not_the_owner(alice):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        sign_in(guesser, alice.email, "wrong")
    refused = sign_in(guesser, alice.email, PASSWORD)
    assert "_auth_user_id" not in guesser.session
    assert "Too many failed login attempts" in refused.content.decode()
    # Alice, from her own address and a fresh session, still gets in.
    owner = Client(REMOTE_ADDR="198.51.100.20")
    response = sign_in(owner, alice.email, PASSWORD)
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(alice.pk)


def test_the_lockout_follows_the_client_behind_the_proxy(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def through_proxy(address):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address)

    for _ in range(5):
        sign_in(through_proxy("203.0.113.7"), alice.email, "wrong")
    locked = through_proxy("203.0.113.7")
    sign_in(locked, alice.email, PASSWORD)
    assert "_auth_user_id" not in locked.session
    owner = through_proxy("198.51.100.20")
    sign_in(owner, alice.email, PASSWORD)
    assert owner.session["_auth_user_id"] == str(alice.pk)


@pytest.fixture
def staff(alice):
    alice.is_staff = True
    alice.is_superuser = True
    alice.save()
    return alice


def admin_sign_in(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_staff_login_is_limited_with_429(staff, settings):
    settings.ADMIN_LOGIN_RATE_ACCOUNT = "3/5m"
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    assert [admin_sign_in(guesser, staff.username, "x").status_code for _ in range(3)] == [200] * 3
    blocked = admin_sign_in(guesser, staff.username, PASSWORD)
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "_auth_user_id" not in guesser.session
    # The same account from another client is fine: no lockout of the staff member.
    owner = Client(REMOTE_ADDR="198.51.100.20")
    response = admin_sign_in(owner, staff.username, PASSWORD)
    assert response.status_code == 302 and owner.session["_auth_user_id"] == str(staff.pk)


def test_staff_login_has_a_per_client_ceiling_over_many_accounts(staff, settings):
    settings.ADMIN_LOGIN_RATE_CLIENT = "4/5m"
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [admin_sign_in(guesser, f"user{n}", "x").status_code for n in range(5)]
    assert statuses == [200] * 4 + [429]


def test_admin_login_page_still_renders(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200 and b"username" in response.content
