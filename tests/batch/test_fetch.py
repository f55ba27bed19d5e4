"""The URL fetcher: only public addresses, redirects re-checked, size and type enforced."""

from __future__ import annotations

import pytest

from studio.batch.fetch import Fetched, FetchError, fetch_many, sniff


def _one(url):
    [result] = fetch_many([url])
    return result


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.png",
        "http://localhost/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/a.png",
        "http://192.168.1.1/a.png",
        "http://[::1]/a.png",
        "http://[::ffff:127.0.0.1]/a.png",
        "http://0.0.0.0/a.png",
        "http://100.64.0.1/a.png",
    ],
)
def test_private_and_internal_addresses_are_refused(url):
    result = _one(url)
    assert isinstance(result, FetchError)
    assert "private or internal address" in result.message


def test_other_schemes_are_refused():
    for url in ("ftp://example.com/a.png", "file:///etc/passwd", "gopher://x/"):
        result = _one(url)
        assert isinstance(result, FetchError) and "http://" in result.message


def test_it_fetches_an_image_and_sniffs_its_type(image_server):
    result = _one(f"{image_server}/a.png")
    assert isinstance(result, Fetched) and result.content_type == "image/png"
    assert result.filename == "a.png"


def test_a_redirect_is_followed_and_checked_again(image_server, settings):
    assert isinstance(_one(f"{image_server}/to-a"), Fetched)
    result = _one(f"{image_server}/to-metadata")
    assert isinstance(result, FetchError) and "private or internal" in result.message


def test_a_redirect_to_loopback_is_refused_when_loopback_is_not_allowed(image_server, settings):
    settings.BATCH_FETCH_ALLOW_LOOPBACK = False
    result = _one(f"{image_server}/to-a")
    assert isinstance(result, FetchError) and "private or internal" in result.message


def test_redirect_loops_stop_after_three(image_server):
    result = _one(f"{image_server}/loop")
    assert isinstance(result, FetchError) and "Too many redirects" in result.message


def test_html_is_not_an_image_whatever_the_header_says(image_server):
    for path in ("/page.html", "/lying.jpg"):
        result = _one(f"{image_server}{path}")
        assert isinstance(result, FetchError) and "web page" in result.message


def test_a_huge_download_is_refused_by_its_length_or_while_streaming(image_server, settings):
    settings.BATCH_FETCH_MAX_BYTES = 2 * 1024 * 1024
    declared = _one(f"{image_server}/huge.png")
    assert isinstance(declared, FetchError) and "larger than 2 MB" in declared.message
    streamed = _one(f"{image_server}/streamed-huge.png")
    assert isinstance(streamed, FetchError)


def test_server_errors_and_unknown_hosts_are_row_errors(image_server):
    assert "HTTP 500" in _one(f"{image_server}/error").message
    assert "could not be found" in _one("http://no-such-host.invalid/a.png").message


def test_sniff_knows_the_image_signatures():
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(b"<html>") == ""
