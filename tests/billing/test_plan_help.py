"""With payments off, the plans say whom to ask, and staff get the way to the admin action."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_with_payments_off_each_higher_plan_says_whom_to_ask(alice_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    html = alice_client.get("/billing/").content.decode()
    assert "ask the person who runs this studio to move you to Creator" in html
    assert "ask the person who runs this studio to move you to Pro" in html
    assert "Upgrade to Creator" not in html
    assert "Change a user&#x27;s plan in the admin" not in html  # not for creators


def test_staff_see_the_way_to_the_change_plan_action(settings):
    settings.STRIPE_SECRET_KEY = ""
    staff = UserFactory(username="ops", is_staff=True)
    client = Client()
    client.force_login(staff)
    html = client.get("/billing/").content.decode()
    assert 'href="/admin/billing/subscription/"' in html
    assert "Change plan…" in html


def test_with_payments_on_the_upgrade_buttons_show_instead(alice_client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    html = alice_client.get("/billing/").content.decode()
    assert "Upgrade to Creator" in html
    assert "ask the person who runs this studio" not in html


def test_billing_tables_sit_in_scroll_boxes(alice_client):
    html = alice_client.get("/billing/").content.decode()
    assert (
        '<div class="table-scroll" tabindex="0" role="region" aria-label="Credit history">' in html
    )
