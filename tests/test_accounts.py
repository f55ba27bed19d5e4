import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db


def test_sign_up_logs_in_and_lands_on_the_studio(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-pass-123",
            "password2": "a-long-pass-123",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Modules" in response.content.decode()
    assert get_user_model().objects.filter(email="new@example.com").exists()


def test_login_and_logout(client, alice):
    response = client.post(
        "/accounts/login/",
        {"login": alice.email, "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.context["user"] == alice
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_password_reset_sends_a_working_link(client, alice):
    client.post("/accounts/password/reset/", {"email": alice.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body).group(0)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    path = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(
        path, {"password1": "brand-new-pass-456", "password2": "brand-new-pass-456"}
    )
    alice.refresh_from_db()
    assert alice.check_password("brand-new-pass-456")


def test_signup_can_be_closed(client, settings):
    settings.ACCOUNT_SIGNUP_OPEN = False
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode() or response.status_code == 403


def test_mandatory_verification_sends_a_confirmation_mail(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    client.post(
        "/accounts/signup/",
        {
            "email": "verify@example.com",
            "password1": "a-long-pass-123",
            "password2": "a-long-pass-123",
        },
    )
    assert any("verify@example.com" in m.to for m in mail.outbox)
    assert client.get("/").status_code == 302  # not logged in until confirmed
