from .models import LedgerEntry


def ledger_for(*, user):
    return LedgerEntry.objects.filter(account__user=user).order_by("-created_at", "-id")
