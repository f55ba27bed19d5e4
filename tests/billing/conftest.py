"""Fixtures for the billing tests; self-contained so they don't depend on tests/conftest.py."""

from __future__ import annotations

import itertools

import pytest

from billing import seed
from billing.models import CreditPack, Plan, PriceRule

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_and_seeded(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    # A transactional test elsewhere may have flushed the rows the data migration seeded.
    if not (Plan.objects.exists() and PriceRule.objects.exists() and CreditPack.objects.exists()):
        seed.seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)


@pytest.fixture
def make_user(django_user_model):
    def make(**fields):
        n = next(_counter)
        fields.setdefault("username", f"user{n}")
        fields.setdefault("email", f"user{n}@example.com")
        return django_user_model.objects.create_user(password="pw-for-tests", **fields)  # noqa: S106

    return make


@pytest.fixture
def alice(make_user):
    return make_user(username="alice", email="alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user(username="bob", email="bob@example.com")


@pytest.fixture
def plan():
    return lambda slug: Plan.objects.get(slug=slug)


@pytest.fixture
def stripe_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_not_a_real_key"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    return settings
