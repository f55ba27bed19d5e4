import pytest
from allauth.account.adapter import get_adapter
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path

from imagestudio.security import client_address

rf = RequestFactory()


def meta(remote="10.0.0.2", xff=None, **headers):
    request = rf.get("/", REMOTE_ADDR=remote, **headers)
    if xff is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = xff
    return request.META


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy trusted: the header is the client's lie
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a spoofed hop on the left is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.2"),  # fewer hops than proxies: not through them
        (1, "not-an-address", "10.0.0.2"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, None, "10.0.0.2"),
    ],
)
def test_forwarded_for_with_a_trusted_proxy_count(settings, count, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    settings.CLIENT_IP_HEADER = ""
    assert client_address(meta(xff=xff)) == expected


def test_a_trusted_client_ip_header_wins(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert client_address(meta(HTTP_X_REAL_IP="198.51.100.4", xff="6.6.6.6")) == "198.51.100.4"
    assert client_address(meta(HTTP_X_REAL_IP="garbage")) == "10.0.0.2"


@pytest.mark.django_db
def test_middleware_hands_the_client_address_to_every_reader(client, settings):
    """allauth sees the same address as the limiter, and the proxy's is kept aside."""
    seen = {}
    settings.TRUSTED_PROXY_COUNT = 1

    def probe(request):
        seen["remote"] = request.META["REMOTE_ADDR"]
        seen["proxy"] = request.META.get("PROXY_ADDR")
        seen["allauth"] = get_adapter().get_client_ip(request)
        return HttpResponse("ok")

    urlpatterns = [path("probe/", login_not_required(probe))]
    settings.ROOT_URLCONF = type("Conf", (), {"urlpatterns": urlpatterns})
    client.get("/probe/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    assert seen == {"remote": "203.0.113.7", "proxy": "10.0.0.2", "allauth": "203.0.113.7"}


@pytest.mark.django_db
def test_log_lines_name_the_client_behind_the_proxy(client, settings):
    import logging

    from imagestudio.security import ClientAddressFilter

    settings.TRUSTED_PROXY_COUNT = 1
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    handler.addFilter(ClientAddressFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/library/nope/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    finally:
        logger.removeHandler(handler)
    assert records and all(r.client == "203.0.113.7" for r in records)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    ClientAddressFilter().filter(outside)
    assert outside.client == "-"
