"""The shared HTMX helpers: fragment detection and the Vary header on HTML pages."""

from imagestudio.htmx import is_fragment


class _Htmx:
    def __init__(self, *, boosted=False, history=False):
        self.boosted, self.history_restore_request = boosted, history

    def __bool__(self):
        return True


class _Request:
    def __init__(self, htmx):
        self.htmx = htmx


def test_is_fragment_only_for_plain_htmx_requests():
    assert is_fragment(_Request(_Htmx()))
    assert not is_fragment(_Request(_Htmx(boosted=True)))
    assert not is_fragment(_Request(_Htmx(history=True)))
    assert not is_fragment(_Request(None))


def test_html_pages_vary_on_hx_request(alice_client):
    for url in ("/", "/library/", "/jobs/", "/billing/", "/create/", "/social/"):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert "HX-Request" in response["Vary"], url
