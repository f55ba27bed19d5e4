"""Unit tests of the shared HTTP layer with httpx.MockTransport."""

from __future__ import annotations

import email.utils
import logging

import httpx
import pytest

from providers.base import (
    Canceled,
    ContentFiltered,
    InsufficientProviderBalance,
    InvalidInput,
    ProviderConfigError,
    ProviderTimeout,
    RateLimited,
    RequestRefused,
    TransientError,
)
from providers.http.client import USER_AGENT, ProviderHTTP, Timeouts, build_client
from providers.http.errors import error_for_status
from providers.http.media import InputLimits, check_input_image, nearest_aspect_ratio
from providers.http.polling import poll_until
from providers.http.redaction import describe_request, redact, redact_headers
from providers.http.retry import RetryPolicy, parse_retry_after

from .conftest import make_png, output_bytes

SECRET = "sk-unit-secret-key-0123456789"


def scripted(*responses):
    """A MockTransport answering with ``responses`` in order (exceptions are raised)."""
    calls: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.MockTransport(handler), calls


def client(transport, clock, **kwargs) -> ProviderHTTP:
    return ProviderHTTP(
        "unit",
        label="Unit",
        base_url="https://api.example.test/v1",
        auth_headers={"Authorization": f"Bearer {SECRET}"},
        transport=transport,
        clock=clock,
        rand=lambda: 1.0,
        **kwargs,
    )


def test_it_sends_user_agent_and_auth_and_joins_base_url(clock):
    transport, calls = scripted(httpx.Response(200, json={"ok": True}))
    http = client(transport, clock)
    response = http.request("GET", "/things")
    assert response.json() == {"ok": True}
    assert str(calls[0].url) == "https://api.example.test/v1/things"
    assert calls[0].headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("ImageStudio/")
    assert calls[0].headers["authorization"] == f"Bearer {SECRET}"
    http.close()


def test_it_omits_credentials_when_auth_is_false(clock):
    transport, calls = scripted(httpx.Response(200, content=b"x"))
    http = client(transport, clock)
    http.request("GET", "https://cdn.example.test/file.png", auth=False)
    assert "authorization" not in calls[0].headers
    http.close()


def test_client_has_explicit_timeouts():
    c = build_client(timeouts=Timeouts(connect=3, read=40, write=20, pool=2))
    assert c.timeout.connect == 3
    assert c.timeout.read == 40
    assert c.headers["user-agent"] == USER_AGENT
    c.close()


def test_it_retries_429_honouring_retry_after_seconds(clock):
    transport, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "4"}, json={"message": "slow down"}),
        httpx.Response(200, json={"ok": 1}),
    )
    http = client(transport, clock)
    assert http.request("POST", "/x").json() == {"ok": 1}
    assert len(calls) == 2
    assert clock.sleeps == [4.0]
    http.close()


def test_a_429_it_waits_out_is_still_announced_to_whatever_paces_the_provider(clock):
    from providers.signals import provider_rate_limited

    heard = []

    def listener(sender, provider, retry_after, **kwargs):
        heard.append((provider, retry_after))

    provider_rate_limited.connect(listener)
    try:
        transport, _ = scripted(
            httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json={})
        )
        http = client(transport, clock)
        http.request("POST", "/x")
        transport, _ = scripted(httpx.Response(503), httpx.Response(200, json={}))
        client(transport, clock).request("POST", "/x")  # not a rate limit: not announced
    finally:
        provider_rate_limited.disconnect(listener)
    assert heard == [("unit", 4.0)]


def test_it_honours_retry_after_as_http_date(clock):
    when = email.utils.formatdate(clock.wall_now + 4, usegmt=True)
    transport, calls = scripted(
        httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200, json={})
    )
    http = client(transport, clock)
    http.request("GET", "/x")
    assert len(calls) == 2
    assert clock.sleeps == [pytest.approx(4, abs=1)]
    http.close()


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_it_retries_5xx_with_exponential_backoff(clock, status):
    transport, calls = scripted(
        httpx.Response(status), httpx.Response(status), httpx.Response(200, json={})
    )
    http = client(transport, clock, retry=RetryPolicy(max_attempts=5, base_delay=1.0, jitter=0.5))
    http.request("GET", "/x")
    assert len(calls) == 3
    # rand() pinned to 1.0: delays are base * 2**(n-1) exactly.
    assert clock.sleeps == [1.0, 2.0]
    http.close()


def test_backoff_is_jittered_and_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    assert policy.backoff(1, lambda: 0.0) == 0.5
    assert policy.backoff(1, lambda: 1.0) == 1.0
    assert policy.backoff(10, lambda: 1.0) == 5.0


def test_it_retries_connect_and_read_timeouts(clock):
    transport, calls = scripted(
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.Response(200, json={"done": True}),
    )
    http = client(transport, clock)
    assert http.request("GET", "/x").json() == {"done": True}
    assert len(calls) == 3
    http.close()


def test_it_gives_up_after_max_attempts_with_the_mapped_error(clock):
    transport, calls = scripted(httpx.Response(500, json={"message": "boom"}))
    http = client(transport, clock, retry=RetryPolicy(max_attempts=3, base_delay=0.1))
    with pytest.raises(TransientError) as info:
        http.request("GET", "/x")
    assert len(calls) == 3
    assert info.value.status == 500
    assert "boom" in info.value.user_message
    http.close()


def test_timeouts_exhausted_raise_provider_timeout(clock):
    transport, calls = scripted(httpx.ReadTimeout("slow"))
    http = client(transport, clock, retry=RetryPolicy(max_attempts=2, base_delay=0.1))
    with pytest.raises(ProviderTimeout):
        http.request("GET", "/x")
    assert len(calls) == 2
    http.close()


def test_a_long_retry_after_is_left_to_the_pipeline(clock):
    transport, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(200, json={})
    )
    http = client(transport, clock, retry=RetryPolicy(max_attempts=5, deadline=300.0))
    with pytest.raises(RateLimited) as info:
        http.request("GET", "/x")
    assert len(calls) == 1
    assert clock.sleeps == []  # the worker never sleeps two minutes
    assert info.value.retry_after == 120.0  # the pipeline reschedules for then
    assert info.value.retry_later and info.value.transient
    http.close()


def test_short_faults_exhausting_the_call_are_not_left_to_the_pipeline(clock):
    transport, calls = scripted(*[httpx.Response(503) for _ in range(5)])
    http = client(transport, clock)
    with pytest.raises(TransientError) as info:
        http.request("GET", "/x")
    assert len(calls) == RetryPolicy().max_attempts == 3
    assert not info.value.retry_later  # final for this call: no second layer of retries
    http.close()


def test_the_deadline_stops_short_retries(clock):
    transport, calls = scripted(*[httpx.Response(503, headers={"Retry-After": "5"})] * 5)
    http = client(transport, clock, retry=RetryPolicy(max_attempts=5, deadline=12.0))
    with pytest.raises(ProviderTimeout) as info:
        http.request("GET", "/x")
    assert len(calls) == 3  # waits 5 + 5; a third wait would pass 12 s
    assert clock.sleeps == [5.0, 5.0]
    assert not info.value.retry_later
    http.close()


def test_it_does_not_retry_permanent_errors(clock):
    transport, calls = scripted(httpx.Response(400, json={"message": "bad size"}))
    http = client(transport, clock)
    with pytest.raises(InvalidInput, match="bad size"):
        http.request("POST", "/x")
    assert len(calls) == 1
    assert clock.sleeps == []
    http.close()


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (401, "bad key", ProviderConfigError),
        (403, "forbidden", ProviderConfigError),
        (400, "bad field", RequestRefused),
        (404, "no such model", RequestRefused),
        (413, "too big", RequestRefused),
        (422, "rejected", RequestRefused),
        (402, "pay up", InsufficientProviderBalance),
        (400, "Insufficient balance, top up", InsufficientProviderBalance),
        (429, "slow", RateLimited),
        (500, "oops", TransientError),
        (503, "busy", TransientError),
    ],
)
def test_error_for_status_maps_to_base_types(status, message, expected):
    error = error_for_status(status, message, provider="p", label="P", retry_after=3.0)
    assert type(error) is expected
    assert error.status == status
    assert message in error.user_message
    if expected is RateLimited:
        assert error.retry_after == 3.0 and error.transient


def test_parse_retry_after_variants():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    date = email.utils.formatdate(1_000_100, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(100)


def test_download_streams_into_a_spooled_file(clock):
    payload = bytes(range(256)) * 4096  # 1 MiB

    def handler(request):
        return httpx.Response(
            200, headers={"Content-Type": "video/mp4"}, stream=httpx.ByteStream(payload)
        )

    http = client(httpx.MockTransport(handler), clock)
    out = http.download("https://cdn.example.test/v.mp4")
    assert out.data is None and out.file is not None
    assert output_bytes(out) == payload
    assert out.content_type == "video/mp4" and out.extension == "mp4"
    http.close()


def test_download_refuses_oversized_files(clock):
    def handler(request):
        return httpx.Response(200, content=b"x" * 5000)

    http = client(httpx.MockTransport(handler), clock)
    with pytest.raises(Exception, match="larger than 1000 bytes"):
        http.download("https://cdn.example.test/big", max_bytes=1000)
    http.close()


# --------------------------------------------------------------------------- polling


def test_poll_until_returns_when_done(clock):
    answers = iter([None, None, "done"])
    progress = []
    result = poll_until(
        lambda: next(answers),
        interval=2.0,
        timeout=60,
        clock=clock,
        progress=lambda p, m: progress.append(p),
    )
    assert result == "done"
    assert clock.sleeps == [2.0, 2.0]
    assert progress and all(0 < p < 100 for p in progress)
    assert progress == sorted(progress)


def test_poll_until_times_out(clock):
    calls = []
    with pytest.raises(ProviderTimeout, match="within 10 s"):
        poll_until(lambda: calls.append(1), interval=3.0, timeout=10.0, clock=clock)
    assert len(calls) == 4  # 0, 3, 6, 9 s; the next wait would pass 10 s
    assert clock.now - 1_000.0 == 9.0


def test_poll_until_checks_cancel_between_polls(clock):
    calls = []
    flags = iter([False, False, True])
    with pytest.raises(Canceled):
        poll_until(
            lambda: calls.append(1),
            interval=1.0,
            timeout=60,
            clock=clock,
            cancel=lambda: next(flags),
        )
    assert len(calls) == 1


# --------------------------------------------------------------------------- helpers


def test_check_input_image_limits():
    small = make_png(40, 40)
    with pytest.raises(InvalidInput, match="at least 64 px"):
        check_input_image(small, InputLimits(min_side=64))
    with pytest.raises(InvalidInput, match="at most 1,000 pixels"):
        check_input_image(small, InputLimits(max_pixels=1_000))
    with pytest.raises(InvalidInput, match="too elongated"):
        check_input_image(make_png(300, 100), InputLimits(max_aspect=2.5))
    with pytest.raises(InvalidInput, match="not a readable image"):
        check_input_image(b"not an image", InputLimits())
    assert check_input_image(make_png(100, 80), InputLimits(min_side=64)) == (100, 80)


def test_nearest_aspect_ratio():
    assert nearest_aspect_ratio(1920, 1080, ("1:1", "16:9", "9:16")) == "16:9"
    assert nearest_aspect_ratio(1000, 1000, ("1:1", "16:9")) == "1:1"
    assert nearest_aspect_ratio(1080, 1350, ("1:1", "4:5", "9:16")) == "4:5"


def test_content_filtered_is_not_transient():
    assert not ContentFiltered("x").transient


# --------------------------------------------------------------------------- redaction


def test_redact_removes_known_and_shaped_secrets():
    text = (
        f"Authorization: Bearer {SECRET} url=https://x.test/?key=AIzaSyA1234567890abcdefghijkl "
        "token=hf_abcdefghijklmnop and sk-proj-abcdefghijklmnop"
    )
    cleaned = redact(text, [SECRET])
    assert SECRET not in cleaned
    assert "AIzaSyA1234567890abcdefghijkl" not in cleaned
    assert "hf_abcdefghijklmnop" not in cleaned
    assert "sk-proj-abcdefghijklmnop" not in cleaned
    assert "***" in cleaned


def test_redact_keeps_ordinary_words():
    message = "The key provided is not valid for this model"
    assert redact(message) == message


def test_redact_headers_and_describe_request():
    request = httpx.Request(
        "POST",
        "https://api.example.test/v1/x?key=AIzaSyA1234567890abcdefghijkl",
        headers={
            "Authorization": f"Bearer {SECRET}",
            "x-goog-api-key": SECRET,
            "Accept": "image/*",
        },
    )
    text = describe_request(request)
    assert SECRET not in text
    assert "AIzaSyA1234567890abcdefghijkl" not in text
    assert "image/*" in text
    assert redact_headers({"Authorization": "Bearer abc"})["Authorization"] == "***"


def test_failed_call_never_leaks_the_key_in_errors_or_logs(clock, caplog):
    def handler(request):
        # A hostile vendor that echoes the credential back.
        return httpx.Response(
            401, json={"message": f"key {request.headers['authorization']} rejected"}
        )

    http = client(httpx.MockTransport(handler), clock)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderConfigError) as info:
        http.request("GET", f"/x?api_key={SECRET}")
    assert SECRET not in str(info.value)
    assert SECRET not in info.value.user_message
    assert SECRET not in repr(info.value)
    assert caplog.records, "the failure should be logged"
    assert SECRET not in caplog.text
    assert SECRET not in repr(http)
    http.close()
