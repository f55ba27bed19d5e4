import uuid

import pytest
from django.db import transaction
from django.template.loader import render_to_string

from billing.models import LedgerEntry
from billing.pricing import estimate
from billing.services import (
    InsufficientCredits,
    PlanLimitExceeded,
    credits_add,
    hold_place,
    plan_change,
    preflight,
    quote_check,
)

CHEAP = dict(operation="create.generate", provider="stability", model="core")


def quote(**kw):
    return estimate(**{**CHEAP, **kw})


def test_free_plan_variation_limit_names_the_upgrade(alice):
    with pytest.raises(PlanLimitExceeded) as exc:
        preflight(user=alice, quote=quote(quantity=4), module="create", variations=4)
    assert exc.value.message == (
        "Your Free plan allows up to 2 variations per request. Upgrade to Creator for up to 10."
    )
    assert exc.value.action_url == "/billing/#plans"
    assert exc.value.action_label == "Upgrade to Creator"
    assert exc.value.limit == "variations"


def test_resolution_limit(alice):
    with pytest.raises(PlanLimitExceeded) as exc:
        preflight(user=alice, quote=quote(), module="create", output_pixels=4096 * 4096)
    assert exc.value.message == (
        "Your Free plan allows outputs up to 4.2 MP; this one would be 16.8 MP. "
        "Upgrade to Creator for 16.8 MP."
    )


def test_plan_locked_provider_module_model_and_upscale_mode(alice):
    with pytest.raises(
        PlanLimitExceeded, match="doesn't include WaveSpeed. Upgrade to Creator to use it."
    ):
        preflight(
            user=alice,
            quote=estimate(operation="edit.prompt_edit", provider="wavespeed"),
            module="edit",
        )
    with pytest.raises(
        PlanLimitExceeded, match="doesn't include Transform. Upgrade to Pro to use it."
    ):
        preflight(user=alice, quote=quote(), module="transform")
    with pytest.raises(PlanLimitExceeded, match="the model “ultra”. Upgrade to Creator"):
        preflight(user=alice, quote=quote(model="ultra"), module="create")
    with pytest.raises(PlanLimitExceeded, match="creative upscaling. Upgrade to Pro"):
        preflight(
            user=alice,
            quote=estimate(operation="upscale.creative", provider="stability"),
            module="upscale",
            upscale_mode="creative",
        )


def test_batch_size_and_concurrency_limits(alice):
    with pytest.raises(
        PlanLimitExceeded, match="batches of up to 1 item. Upgrade to Creator for up to 25."
    ):
        preflight(user=alice, quote=quote(), module="create", batch_size=10)
    with pytest.raises(PlanLimitExceeded) as exc:
        preflight(user=alice, quote=quote(), module="create", active_jobs=1)
    assert exc.value.message == (
        "Your Free plan runs 1 job at a time and 1 is running. Wait for one to finish. "
        "Upgrade to Creator to run up to 3 at once."
    )
    preflight(user=alice, quote=quote(), module="create", active_jobs=0)


def test_the_top_plan_has_no_upgrade_link(alice, plan):
    plan_change(user=alice, plan=plan("business"))
    with pytest.raises(PlanLimitExceeded) as exc:
        preflight(user=alice, quote=quote(quantity=12), module="create", variations=12)
    assert exc.value.message == "Your Business plan allows up to 10 variations per request."
    assert exc.value.action_url == ""


def test_balance_counts_credits_on_hold(alice):
    hold_place(user=alice, job_id=uuid.uuid4(), amount=48)
    with pytest.raises(InsufficientCredits) as exc:
        preflight(user=alice, quote=quote(), module="create")
    assert exc.value.gap == 1
    assert exc.value.action_label == "Top up"


def test_paid_plan_unlocks_what_free_refuses(alice, plan):
    plan_change(user=alice, plan=plan("pro"))
    preflight(
        user=alice,
        quote=estimate(
            operation="transform.image_to_video", provider="wavespeed", tier="720p", seconds=5
        ),
        module="transform",
        variations=1,
        output_pixels=8000 * 8000,
    )


def test_preflight_inside_the_hold_transaction(alice):
    job_id = uuid.uuid4()
    q = quote(quantity=2)
    with transaction.atomic():
        preflight(user=alice, quote=q, module="create", variations=2)
        hold_place(user=alice, job_id=job_id, amount=q.credits)
    assert LedgerEntry.objects.get(job_id=job_id, kind=LedgerEntry.Kind.HOLD).held_delta == 6


def test_quote_check_allowed_and_denied(alice):
    ok = quote_check(user=alice, quote=quote(quantity=2), module="create", variations=2)
    assert (ok.allowed, ok.credits, ok.label, ok.reason) == (True, 6, "6 credits", "")

    denied = quote_check(user=alice, quote=quote(quantity=3), module="create", variations=3)
    assert not denied.allowed
    assert denied.reason.startswith("Your Free plan allows up to 2 variations")
    assert (denied.action_url, denied.action_label) == ("/billing/#plans", "Upgrade to Creator")

    credits_add(user=alice, amount=-45, kind=LedgerEntry.Kind.ADJUSTMENT, reason="test")
    broke = quote_check(user=alice, quote=quote(quantity=2), variations=2)
    assert not broke.allowed
    assert broke.reason.startswith("Needs 1 more credit:")
    assert broke.action_label == "Top up"


def test_cost_button_renders_enabled_and_disabled(alice):
    ok = quote_check(user=alice, quote=quote(quantity=2), module="create", variations=2)
    html = render_to_string("components/cost_button.html", {"verb": "Generate 2", "check": ok})
    assert 'id="cost-button"' in html
    assert "Generate 2 · 6 credits" in html
    assert "disabled" not in html

    denied = quote_check(user=alice, quote=quote(quantity=3), module="create", variations=3)
    html = render_to_string(
        "components/cost_button.html", {"verb": "Generate 3", "check": denied, "oob": True}
    )
    assert 'hx-swap-oob="true"' in html
    assert "disabled" in html
    assert "allows up to 2 variations" in html
    assert '<a href="/billing/#plans">Upgrade to Creator</a>' in html
