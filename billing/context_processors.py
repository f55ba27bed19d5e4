from .models import CreditAccount


def credits(request):
    """The header's credit badge: the signed-in user's available credits."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    account = CreditAccount.objects.filter(user=user).only("balance", "held").first()
    return {"credit_account": account, "credits_available": account.available if account else 0}
