"""Helpers shared by the billing tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

import pytest
from django.db import connection


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(event_id: str, event_type: str, obj: dict) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "data": {"object": obj},
        }
    ).encode()


def require_postgres() -> None:
    """Skip on SQLite (no row locks) unless REQUIRE_SERVICES=1, where a skip would hide a gap."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(
            "REQUIRE_SERVICES=1 but the database is not PostgreSQL: set DATABASE_URL to PostgreSQL."
        )
    pytest.skip(
        f"needs PostgreSQL for real row locks and concurrent connections (database is {connection.vendor}); "
        "set DATABASE_URL to a PostgreSQL database to run it"
    )
