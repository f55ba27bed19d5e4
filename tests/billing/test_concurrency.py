import threading
import uuid

import pytest
from django.db import connections

from billing.models import CreditAccount, LedgerEntry
from billing.selectors import ledger_totals
from billing.services import InsufficientCredits, account_for, credits_add, hold_place

from .helpers import require_postgres

WORKERS = 50
HOLD = 7


@pytest.mark.services
# Real transactions, like the other transactional tests: plans are seeded on demand
# (plan_default), and a serialized rollback would collide with the content types that the
# previous transactional test's flush re-creates.
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_holds_against_ten_holds_of_credit(make_user):
    require_postgres()
    user = make_user()
    account = account_for(user=user)
    credits_add(
        user=user,
        amount=10 * HOLD - account.available,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        reason="setup",
    )
    assert CreditAccount.objects.get(pk=account.pk).available == 10 * HOLD

    start = threading.Barrier(WORKERS)
    outcomes: list[object] = []
    lock = threading.Lock()

    def place() -> None:
        # Each thread gets its own database connection from Django.
        try:
            start.wait()
            hold_place(
                user=user, job_id=uuid.uuid4(), amount=HOLD, module="create", provider="stability"
            )
            result: object = "held"
        except InsufficientCredits:
            result = "refused"
        except Exception as exc:  # surfaced by the assertion below
            result = exc
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=place) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == WORKERS
    assert [o for o in outcomes if o not in ("held", "refused")] == []
    assert outcomes.count("held") == 10
    assert outcomes.count("refused") == WORKERS - 10

    account.refresh_from_db()
    assert account.held == 10 * HOLD
    assert account.available == 0
    assert account.balance >= 0
    entries = LedgerEntry.objects.filter(account=account)
    assert all(e.balance_after >= 0 for e in entries)
    assert entries.filter(kind=LedgerEntry.Kind.HOLD).count() == 10
    totals = ledger_totals(account=account)
    assert (totals.balance, totals.held) == (account.balance, account.held)
