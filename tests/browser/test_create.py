"""Create Studio in a real browser: prompt, template, style, variations, live price, results."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.jobs.models import Job
from tests.factories import UserFactory

from .helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]

PROMPT = "a lighthouse on a cliff at dawn"

# Records every data-status the job card in #job-area takes, across htmx's swaps.
_WATCH_JOB_CARD_JS = """
() => {
  window.__cardStatuses = [];
  const area = document.querySelector("#job-area");
  const note = () => {
    const card = area.querySelector(".job-card");
    const seen = window.__cardStatuses;
    if (card && seen[seen.length - 1] !== card.dataset.status) seen.push(card.dataset.status);
  };
  new MutationObserver(note).observe(area, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"],
  });
}
"""


@pytest.fixture
def alice(studio):
    """Alice on the Pro plan with credits to spare, so several variations are allowed."""
    from billing.models import CreditPack, Plan, PriceRule
    from billing.seed import seed_all
    from billing.services import credits_add, plan_change

    # The live server's database is emptied between tests; the plans and prices come back.
    seed_all(Plan=Plan, PriceRule=PriceRule, CreditPack=CreditPack)
    user = UserFactory(username="alice")
    plan_change(user=user, plan=Plan.objects.get(slug="pro"))
    credits_add(user=user, amount=5000, kind="purchase", reason="test credits")
    return user


def _wait_loaded(page, images) -> None:
    """Wait until every image matched by the locator has loaded with real pixels."""
    page.wait_for_function(
        "els => els.length > 0 && els.every(img => img.complete && img.naturalWidth > 0)",
        arg=images.element_handles(),
    )


def test_generate_three_variations_with_a_live_price_without_a_reload(
    page, studio, alice, providers
):
    servers = providers("stability")
    sign_in(page, alice, base_url=studio)
    page.goto("/create/")
    expect(page.locator("h1")).to_have_text("Create")
    expect(page.get_by_text("Text-to-image needs an AI provider")).to_have_count(0)
    page.evaluate("window.__sameDocument = true")
    page.evaluate(_WATCH_JOB_CARD_JS)

    page.fill("#id_prompt", PROMPT)
    page.select_option("#id_template", "instagram-portrait")
    # The template fills the exact size in.
    expect(page.locator("#id_width")).to_have_value("1080")
    expect(page.locator("#id_height")).to_have_value("1350")
    page.locator("label.style-card", has_text="Cinematic").click()
    expect(page.locator("input[name=style][value=cinematic]")).to_be_checked()

    button = page.locator("#cost-button .cost-button")
    expect(button).to_be_enabled()
    # The form's changes have been priced for one image.
    expect(button).to_have_text(re.compile(r"^\s*Generate · \d[\d,]* credits?\s*$"))
    single = button.inner_text().strip()

    slider = page.locator("#id_variations")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    expect(slider).to_have_value("3")
    expect(page.locator("#variations-out")).to_have_text("3")
    expect(button).to_have_text(re.compile(r"^\s*Generate 3 · \d[\d,]* credits\s*$"))
    priced = button.inner_text().strip()
    assert priced != single
    expect(button).to_be_enabled()
    credits = int(re.search(r"([\d,]+) credits", priced).group(1).replace(",", ""))

    button.click()

    card = page.locator("#job-area .job-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "succeeded")
    expect(card.locator(".progress")).to_have_count(0)
    assert card.get_attribute("hx-trigger") is None, "a finished card must stop polling"
    tiles = card.locator(".job-results .gen-card")
    expect(tiles).to_have_count(3)
    images = tiles.locator("img")
    for img in images.all():
        img.scroll_into_view_if_needed()  # the thumbnails load lazily
    _wait_loaded(page, images)
    assert all(w > 0 for w in images.evaluate_all("els => els.map(img => img.naturalWidth)"))

    assert page.url == f"{studio}/create/"
    assert page.evaluate("window.__sameDocument") is True
    statuses = page.evaluate("window.__cardStatuses")
    assert statuses[0] in ("queued", "running") and statuses[-1] == "succeeded", statuses

    job = Job.objects.get(owner=alice, operation="create.generate")
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.credits_estimated == credits  # the price shown is the price quoted
    outputs = list(job.outputs.all())
    assert len(outputs) == 3
    assert all((o.width, o.height) == (1080, 1350) for o in outputs)
    assert {str(o.public_id) for o in outputs} == set(
        tiles.evaluate_all("els => els.map(el => el.dataset.asset)")
    )
    calls = servers["stability"].requests_to("/generate/", "POST")
    assert len(calls) == 3
    assert all(PROMPT in c.form["prompt"] for c in calls)
    assert all("cinematic" in c.form["prompt"].lower() for c in calls)


def test_enhance_prompt_rewrites_the_prompt_in_place(page, studio, alice, providers):
    providers("stability")  # no language model configured: the local enhancer answers
    sign_in(page, alice, base_url=studio)
    page.goto("/create/")
    page.evaluate("window.__sameDocument = true")
    page.fill("#id_prompt", PROMPT)
    page.locator("label.style-card", has_text="Cinematic").click()

    page.get_by_role("button", name="Enhance prompt").click()

    expect(page.locator("#prompt-field .enhanced-note")).to_have_text(
        re.compile("Enhanced locally")
    )
    prompt = page.locator("#id_prompt")
    expect(prompt).to_have_count(1)
    enhanced = prompt.input_value()
    assert enhanced != PROMPT and PROMPT in enhanced, enhanced
    # The negative prompt the enhancer suggests lands in the one "avoid" field, not a copy.
    expect(page.locator("textarea[name=negative_prompt]")).to_have_count(1)
    # Still editable, still in the same form, same document.
    prompt.fill(enhanced + ", wide angle")
    expect(page.locator("#create-form #id_prompt")).to_have_value(enhanced + ", wide angle")
    assert page.evaluate("window.__sameDocument") is True


def test_without_providers_the_page_explains_and_cannot_generate(page, studio, alice, providers):
    providers()  # none
    sign_in(page, alice, base_url=studio)
    page.goto("/create/")

    notice = page.locator(".notice[role=status]")
    expect(notice.get_by_role("heading", name="Text-to-image needs an AI provider")).to_be_visible()
    expect(notice).to_contain_text("STABILITY_API_KEY")
    button = page.locator("#cost-button .cost-button")
    expect(button).to_be_disabled()
    expect(page.locator("#cost-button-reason")).to_contain_text("Configure a provider")

    # A complete form is re-estimated, and the button stays disabled with the reason.
    page.fill("#id_prompt", PROMPT)
    with page.expect_response(lambda r: "estimate=1" in r.url):
        page.locator("#id_quality").select_option("draft")
    expect(button).to_be_disabled()
    expect(page.locator("#cost-button-reason")).to_contain_text("No configured provider")
    assert not Job.objects.exists()
