"""Share-board passwords: limited per board, per client and per client across boards."""

import pytest
from django.test import Client

from assets.services import share_create
from tests.assets.factories import CollectionFactory
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked_board(alice):
    collection = CollectionFactory(owner=alice, name="Client proofs")
    asset = AssetFactory(owner=alice, title="Proof one")
    collection.items.create(asset=asset)
    return share_create(owner=alice, collection=collection, password="open sesame")


def visitor(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def guess(client: Client, share, password: str = "wrong"):
    return client.post(share.get_absolute_url(), {"password": password})


def test_a_guesser_is_stopped_with_429_and_retry_after(locked_board, settings, monkeypatch):
    from django.contrib.auth import hashers

    hashed = []
    real_check = hashers.check_password
    monkeypatch.setattr(
        "assets.services.check_password", lambda *a, **k: hashed.append(1) or real_check(*a, **k)
    )
    guesser = visitor("203.0.113.7")
    statuses = [guess(guesser, locked_board).status_code for _ in range(5)]
    assert statuses == [403] * 5
    blocked = guess(guesser, locked_board, "open sesame")
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 300
    assert "Too many attempts" in blocked.content.decode()
    assert "Proof one" not in blocked.content.decode()
    # The right password does not help while blocked, and no hash was computed for it.
    assert len(hashed) == 5
    assert "Proof one" not in guesser.get(locked_board.get_absolute_url()).content.decode()


def test_other_visitors_of_the_board_are_not_blocked_by_one_guesser(locked_board):
    guesser = visitor("203.0.113.7")
    for _ in range(6):
        guess(guesser, locked_board)
    friend = visitor("198.51.100.20")
    response = guess(friend, locked_board, "open sesame")
    assert response.status_code == 302
    assert "Proof one" in friend.get(locked_board.get_absolute_url()).content.decode()


def test_the_board_itself_has_a_ceiling_against_many_addresses(locked_board, settings):
    settings.SHARE_PASSWORD_RATE_BOARD = "8/h"
    for n in range(8):
        assert guess(visitor(f"203.0.113.{n + 1}"), locked_board).status_code == 403
    assert guess(visitor("203.0.113.99"), locked_board).status_code == 429


def test_one_client_cannot_spread_guesses_over_many_boards(alice, settings):
    settings.SHARE_PASSWORD_RATE_CLIENT_ALL = "6/5m"
    collection = CollectionFactory(owner=alice)
    boards = [share_create(owner=alice, collection=collection, password="pw") for _ in range(4)]
    guesser = visitor("203.0.113.7")
    statuses = [guess(guesser, board).status_code for board in boards for _ in range(2)]
    assert statuses == [403] * 6 + [429] * 2


def test_the_limit_follows_the_client_address_behind_a_trusted_proxy(locked_board, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        c = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
        assert guess(c, locked_board).status_code == 403
    same = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert guess(same, locked_board).status_code == 429
    # Everybody else arrives from the same proxy and is still let in.
    other = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert guess(other, locked_board, "open sesame").status_code == 302


def test_password_page_allows_the_browser_to_send_its_origin(locked_board):
    """ "no-referrer" makes Chromium post with "Origin: null", which CSRF refuses."""
    page = Client().get(locked_board.get_absolute_url())
    assert page["Referrer-Policy"] == "same-origin"
    unlocked = Client()
    unlocked.post(locked_board.get_absolute_url(), {"password": "open sesame"})
    board = unlocked.get(locked_board.get_absolute_url())
    assert "Proof one" in board.content.decode()
    assert board["Referrer-Policy"] == "no-referrer"


def test_csrf_still_guards_the_password_form(locked_board):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        locked_board.get_absolute_url(), {"password": "open sesame"}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 403
    assert "Proof one" not in strict.get(locked_board.get_absolute_url()).content.decode()
