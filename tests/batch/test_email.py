"""The finish email goes through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from studio.batch import services
from studio.batch.models import Batch

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def test_the_owner_gets_one_email_when_the_batch_finishes(
    business, alice_asset, funded, priced, eager, committed, smtp_server
):
    funded(20)
    business.email = "alice@example.com"
    business.save()
    batch = services.batch_create_from_images(
        user=business, operation="tools.convert", assets=[alice_asset], name="Spring"
    )
    committed(services.batch_approve, batch=batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED and batch.notified_at is not None
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["alice@example.com"]
    body = envelope.content.decode()
    assert "Subject: Batch finished: Spring (1/1 succeeded)" in body
    assert "Credits charged: 2." in body
    assert f"/batch/{batch.public_id}/download.zip" in body
    # A second finish signal sends nothing more.
    from studio.batch.results import batch_notify

    assert batch_notify(batch_id=batch.pk) is False
    assert len(smtp_server.messages) == 1


def test_no_email_when_the_owner_opted_out(
    business, alice_asset, funded, priced, eager, committed, smtp_server
):
    funded(20)
    batch = services.batch_create_from_images(
        user=business, operation="tools.convert", assets=[alice_asset]
    )
    committed(services.batch_approve, batch=batch, notify=False)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    assert smtp_server.messages == []
