import csv
import io
import uuid

from billing.models import CreditAccount, LedgerEntry, Subscription
from billing.services import credits_add, hold_capture, hold_place

HTMX = {"HTTP_HX_REQUEST": "true"}


def _charge(user, amount, *, module="create", provider="stability", reason="Generate"):
    job_id = uuid.uuid4()
    hold_place(
        user=user, job_id=job_id, amount=amount, module=module, provider=provider, reason=reason
    )
    hold_capture(job_id=job_id)
    return job_id


def test_anonymous_is_sent_to_login(client):
    for url in ("/billing/", "/billing/usage.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_owner_sees_plan_balance_usage_and_history(client, alice, bob):
    job_id = _charge(alice, 8, reason="Alice's portrait")
    _charge(bob, 5, reason="Bob's landscape")
    client.force_login(alice)

    response = client.get("/billing/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Free" in html and "42" in html  # plan and available credits
    assert "Alice&#x27;s portrait" in html
    assert f"/jobs/{job_id}/" in html
    assert "Bob" not in html
    assert "<svg" in html and 'class="bar"' in html
    assert "Payments are off on this server" in html
    assert "Upgrade to Creator" not in html  # no checkout buttons without payments
    assert 'id="plans"' in html and "Business" in html


def test_plan_buttons_show_when_payments_are_on(client, alice, stripe_on):
    client.force_login(alice)
    html = client.get("/billing/").content.decode()
    assert "Upgrade to Creator" in html
    assert "Buy 500 credits" in html


def test_htmx_requests_get_only_the_fragment(client, alice):
    _charge(alice, 3)
    client.force_login(alice)
    usage = client.get(
        "/billing/?period=previous", headers={"HX-Request": "true", "HX-Target": "usage"}
    )
    html = usage.content.decode()
    assert html.lstrip().startswith('<section id="usage"')
    assert "<html" not in html
    assert "No credits spent in this period" in html  # the charge is in the current period

    ledger = client.get("/billing/?page=1", headers={"HX-Request": "true", "HX-Target": "ledger"})
    assert ledger.content.decode().lstrip().startswith('<section id="ledger"')


def test_csv_export_lists_usage_per_day_module_and_provider(client, alice, bob):
    _charge(alice, 8)
    _charge(alice, 8)
    _charge(alice, 4, module="upscale", provider="local")
    _charge(bob, 9)
    client.force_login(alice)

    response = client.get("/billing/usage.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "module", "provider", "jobs", "credits"]
    body = sorted(rows[1:], key=lambda r: r[1])
    assert [r[1:] for r in body] == [
        ["create", "stability", "2", "16"],
        ["upscale", "local", "1", "4"],
    ]

    previous = list(
        csv.reader(io.StringIO(client.get("/billing/usage.csv?period=previous").content.decode()))
    )
    assert previous == [["date", "module", "provider", "jobs", "credits"]]


def test_switching_to_the_free_plan_needs_no_payment(client, alice, plan):
    from billing.services import plan_change

    plan_change(user=alice, plan=plan("creator"))
    client.force_login(alice)
    response = client.post("/billing/plans/free/choose/")
    assert response.status_code == 302
    assert Subscription.objects.get(user=alice).plan.slug == "free"


def test_admin_actions_adjust_credits_change_plan_and_refund(client, alice, make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    account = CreditAccount.objects.get(user=alice)

    form = client.post(
        "/admin/billing/creditaccount/",
        {"action": "adjust_credits", "_selected_action": [account.pk]},
    )
    assert form.status_code == 200 and b"Grant or adjust credits" in form.content
    done = client.post(
        "/admin/billing/creditaccount/",
        {
            "action": "adjust_credits",
            "_selected_action": [account.pk],
            "apply": "1",
            "amount": "30",
            "reason": "Support ticket 12",
        },
    )
    assert done.status_code == 302
    entry = LedgerEntry.objects.get(account=account, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert (entry.amount, entry.staff, entry.reason) == (30, admin, "Support ticket 12")

    pro = Subscription.objects.get(user=alice).plan.__class__.objects.get(slug="pro")
    client.post(
        "/admin/billing/creditaccount/",
        {"action": "change_plan", "_selected_action": [account.pk], "apply": "1", "plan": pro.pk},
    )
    assert Subscription.objects.get(user=alice).plan == pro

    job_id = _charge(alice, 8)
    capture = LedgerEntry.objects.get(job_id=job_id, kind=LedgerEntry.Kind.CAPTURE)
    client.post(
        "/admin/billing/ledgerentry/",
        {
            "action": "refund_jobs",
            "_selected_action": [capture.pk],
            "apply": "1",
            "reason": "Bad output",
        },
    )
    refund = LedgerEntry.objects.get(job_id=job_id, kind=LedgerEntry.Kind.REFUND)
    assert (refund.amount, refund.staff) == (8, admin)


def test_admin_pages_render(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    for url in (
        "/admin/billing/creditaccount/",
        "/admin/billing/ledgerentry/",
        "/admin/billing/plan/",
        "/admin/billing/pricerule/",
        "/admin/billing/creditpack/",
        "/admin/billing/subscription/",
        "/admin/billing/webhookevent/",
    ):
        assert client.get(url).status_code == 200, url


def test_credits_added_show_in_the_header_badge(client, alice):
    credits_add(user=alice, amount=1000, kind=LedgerEntry.Kind.PURCHASE)
    client.force_login(alice)
    html = client.get("/billing/").content.decode()
    assert 'id="credit-badge"' in html and "1050" in html
