from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .selectors import ledger_for
from .services import account_for


@login_required
def overview(request):
    account = account_for(user=request.user)
    page = Paginator(ledger_for(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "billing/overview.html", {"account": account, "page": page})
