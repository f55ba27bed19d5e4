"""Shared fixtures: fast hashing, in-memory email and storage, users alice and bob.

CI sets REQUIRE_SERVICES=1 and REQUIRE_BROWSER=1: a test marked ``services`` or
``browser`` that would skip there fails instead, so a missing service can't pass silently.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from .factories import AssetFactory, UserFactory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and call.when in ("setup", "call"):
        required = [
            marker
            for marker, env in (("services", "REQUIRE_SERVICES"), ("browser", "REQUIRE_BROWSER"))
            if item.get_closest_marker(marker) and os.environ.get(env) == "1"
        ]
        if required:
            report.outcome = "failed"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            report.longrepr = f"{required[0]} test skipped where it is required: {reason}"
    return report


@pytest.fixture(autouse=True)
def _test_settings(settings, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if not request.node.get_closest_marker("real_storage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def alice_asset(alice):
    return AssetFactory(owner=alice, size=(120, 80))


HTMX = {"HTTP_HX_REQUEST": "true"}
