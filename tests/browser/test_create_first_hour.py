"""Create in a real browser, as a new creator meets it: the price and Auto's choice before
anything changes, controls that stop at the plan, and enhanced prompts that stay theirs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.create import enhance
from studio.create.styles import get_template
from tests.factories import UserFactory

from .helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

PROMPT = "a red bicycle against a brick wall"


def _user(slug: str):
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all
    from billing.services import credits_add, plan_change

    # The live server's database is emptied between tests; the plans and prices come back.
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username=f"{slug}-user")
    plan_change(user=user, plan=Plan.objects.get(slug=slug))
    credits_add(user=user, amount=2000, kind="purchase", reason="test credits")
    return user


def test_a_free_creator_sees_the_price_autos_choice_and_the_plans_limits_at_once(
    page, studio, providers
):
    providers("stability")
    user = _user("free")
    sign_in(page, user, base_url=studio)
    page.goto("/create/")

    # Before touching anything: a real price on the button and Auto's pick with its reason.
    button = page.locator("#cost-button .cost-button")
    expect(button).to_have_text(re.compile(r"^\s*Generate · \d[\d,]* credits?\s*$"))
    assert "see price" not in page.content()
    note = page.locator("#route-note")
    expect(note).to_have_text(re.compile(r"^Auto: Stability \S.* — "))

    # The slider stops at the plan's 2; 3–10 are shown locked with the plan that has them.
    slider = page.locator("#id_variations")
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    expect(slider).to_have_value("2")
    expect(page.locator("#variations-out")).to_have_text("2")
    expect(page.locator(".range-steps .is-locked")).to_have_count(8)
    locked = page.locator("#variations-locked")
    expect(locked).to_contain_text("3–10 with Creator")
    expect(locked).to_contain_text("Payments are off on this server: ask")
    expect(button).to_have_text(re.compile(r"^\s*Generate 2 · \d[\d,]* credits\s*$"))
    expect(button).to_be_enabled()

    # A model outside the plan is listed but locked; picking one the plan has re-prices
    # and names the choice.
    expect(page.locator("#id_engine option[value='stability:sd3.5-large']")).to_be_disabled()
    expect(page.locator("#id_engine option[value='stability:sd3.5-large']")).to_contain_text(
        "Creator plan"
    )
    page.select_option("#id_engine", "stability:sd3.5-medium")
    expect(note).to_have_text(re.compile(r"^Chosen: Stability AI SD 3.5 Medium"))


def test_enhanced_prompts_keep_the_users_words_without_template_boilerplate(
    page, studio, providers
):
    providers("stability")  # no language model: the local enhancer answers
    user = _user("pro")
    sign_in(page, user, base_url=studio)
    page.goto("/create/")
    page.fill("#id_prompt", PROMPT)
    page.select_option("#id_template", "instagram-story")
    page.get_by_role("button", name="Enhance prompt").click()
    expect(page.locator("#prompt-field .enhanced-note")).to_contain_text("Enhanced locally")
    enhanced = page.locator("#id_prompt").input_value()
    template = get_template("instagram-story")
    assert enhanced.startswith(PROMPT + ", "), enhanced
    assert "designed for" not in enhanced
    assert template.use_case.rstrip(".").lower() not in enhanced.lower()
    assert template.format.label.lower() not in enhanced.lower()


def test_an_llm_rewrite_never_carries_its_instruction_into_the_prompt(page, studio, providers):
    providers("stability", "gemini")
    user = _user("pro")
    sign_in(page, user, base_url=studio)
    page.goto("/create/")
    page.fill("#id_prompt", PROMPT)
    page.locator("label.style-card", has_text="Cinematic").click()
    page.get_by_role("button", name="Enhance prompt").click()
    expect(page.locator("#prompt-field .enhanced-note")).to_contain_text("Enhanced by gemini/")
    rewritten = page.locator("#id_prompt").input_value()

    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z']+", text.lower()) if len(w) > 3}

    instruction_only = words(enhance.INSTRUCTION) - words(PROMPT)
    assert rewritten.strip()
    assert not (instruction_only & words(rewritten)), rewritten
