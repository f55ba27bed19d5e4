import math
import uuid
from decimal import Decimal

import pytest

from billing import seed
from billing.models import CreditAccount, LedgerEntry, PriceRule
from billing.pricing import estimate
from billing.services import PriceMissing, credits_add, hold_capture, hold_place


def test_local_tools_are_free():
    quote = estimate(operation="tools.resize", provider="local")
    assert (quote.credits, quote.label, quote.is_free) == (0, "Free", True)


def test_the_most_specific_rule_wins():
    assert estimate(operation="create.generate", provider="stability", model="core").credits == 3
    # An unlisted model falls back to the provider's blank-model rule (the dearest).
    assert (
        estimate(operation="create.generate", provider="stability", model="new-model").credits == 8
    )
    assert estimate(operation="create.generate", provider="openai", tier="low").credits == 2
    assert estimate(operation="create.generate", provider="openai").credits == 25


def test_quantity_and_label():
    quote = estimate(operation="create.generate", provider="stability", model="ultra", quantity=4)
    assert (quote.credits, quote.unit_price, quote.quantity, quote.label) == (
        32,
        8,
        4,
        "32 credits",
    )
    # A social pack costs one credit whatever the number of renditions.
    assert estimate(operation="social.pack", provider="local", quantity=12).label == "1 credit"


def test_variation_multiplier_discounts_extra_variations():
    PriceRule.objects.filter(operation="create.generate", provider="gemini").update(
        variation_multiplier=Decimal("0.5")
    )
    # 4 + 3 × 4 × 0.5
    assert estimate(operation="create.generate", provider="gemini", quantity=4).credits == 10


def test_video_is_priced_per_second_with_a_minimum():
    assert (
        estimate(
            operation="transform.image_to_video", provider="wavespeed", tier="720p", seconds=5
        ).credits
        == 50
    )
    assert (
        estimate(
            operation="transform.image_to_video", provider="wavespeed", tier="1080p", seconds=10
        ).credits
        == 150
    )
    # InfiniteTalk bills at least 5 seconds.
    assert (
        estimate(
            operation="transform.talking_avatar", provider="wavespeed", tier="480p", seconds=2
        ).credits
        == 15
    )


def test_auto_provider_quotes_the_dearest_provider():
    assert estimate(operation="create.generate", model="").credits == 25  # openai's blank-tier rule


def test_a_paid_provider_without_a_rule_is_refused_not_free():
    with pytest.raises(PriceMissing) as exc:
        estimate(operation="edit.outpaint", provider="openai")
    assert "no price yet" in exc.value.message
    PriceRule.objects.filter(operation="upscale.creative").update(is_active=False)
    with pytest.raises(PriceMissing):
        estimate(operation="upscale.creative", provider="stability")


def test_seeded_operations_cover_the_catalogue():
    operations = {r["operation"] for r in seed.PRICE_RULES}
    expected = {
        "create.generate",
        "edit.remove_background",
        "edit.inpaint",
        "edit.outpaint",
        "edit.erase",
        "edit.search_replace",
        "edit.search_recolor",
        "edit.replace_background",
        "edit.prompt_edit",
        "upscale.fast",
        "upscale.conservative",
        "upscale.creative",
        "control.sketch",
        "control.structure",
        "control.style",
        "control.style_transfer",
        "transform.image_to_video",
        "transform.talking_avatar",
        "transform.image_to_3d",
        "social.pack",
        "tools.resize",
    }
    assert expected <= operations
    assert PriceRule.objects.count() == len(seed.PRICE_RULES)


def test_the_estimate_is_what_gets_captured_for_every_seeded_rule(alice):
    credits_add(user=alice, amount=100_000, kind=LedgerEntry.Kind.PURCHASE, reason="test funds")
    checked = 0
    for rule in PriceRule.objects.filter(is_active=True):
        quantity, seconds = (1, 8.0) if rule.credits_per_second else (3, 0.0)
        quote = estimate(
            operation=rule.operation,
            provider=rule.provider,
            model=rule.model,
            tier=rule.tier,
            quantity=quantity,
            seconds=seconds,
        )
        expected_unit = rule.credits_per_unit + rule.credits_per_second * max(
            Decimal(seconds), rule.min_seconds
        )
        expected = expected_unit * (1 + (quantity - 1) * rule.variation_multiplier)
        assert quote.credits == math.ceil(expected), rule
        job_id = uuid.uuid4()
        hold_place(user=alice, job_id=job_id, amount=quote.credits, provider=rule.provider)
        capture = hold_capture(job_id=job_id)
        if quote.credits:
            assert -capture.amount == quote.credits, rule
        else:
            assert capture.amount == 0
        checked += 1
    assert checked == len(seed.PRICE_RULES)
    account = CreditAccount.objects.get(user=alice)
    assert account.held == 0
