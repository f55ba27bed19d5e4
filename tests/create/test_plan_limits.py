"""Create's controls stop at what the plan allows, show the rest locked with the plan that
unlocks it, say whom to ask when payments are off, and price the form from the first render."""

import re

import pytest

from studio.models import Job
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _slider(html: str) -> str:
    return re.search(r'<input type="range" name="variations"[^>]*>', html).group(0)


def test_on_free_the_slider_stops_at_two_and_shows_three_to_ten_locked(alice_client, providers_on):
    providers_on("stability")
    html = alice_client.get("/create/").content.decode()
    assert 'max="2"' in _slider(html)
    assert "Your Free plan makes up to 2 per request." in html
    assert re.search(
        r'<span class="locked-range"><svg[^>]*>.*?</svg> 3–10 with Creator</span>', html
    )
    assert html.count('class="is-locked" title="Creator plan"') == 8
    # Payments are off here: no dead-end upgrade link, but whom to ask.
    assert "Payments are off on this server: ask the person who runs this studio" in html


def test_with_payments_on_the_note_links_to_the_plans(alice_client, providers_on, settings):
    providers_on("stability")
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    html = alice_client.get("/create/").content.decode()
    assert 'href="/billing/#plans">See plans</a>' in html
    assert "Payments are off" not in html


def test_with_payments_off_the_note_names_the_admin_when_one_is_set(
    alice_client, providers_on, settings
):
    providers_on("stability")
    settings.ADMINS = [("Sam", "sam@studio.example")]
    html = alice_client.get("/create/").content.decode()
    assert 'ask <a href="mailto:sam@studio.example">sam@studio.example</a>' in html


def test_models_outside_the_plan_are_listed_locked(alice_client, providers_on):
    providers_on("stability")
    html = alice_client.get("/create/").content.decode()
    assert re.search(
        r'<option value="stability:sd3.5-large"\s+disabled data-locked>[^<]*— locked: Creator plan',
        html,
    )
    assert re.search(r'<option value="stability:core" >Stability AI · Core</option>', html)


def test_a_plan_that_allows_ten_shows_nothing_locked(alice_client, providers_on, pro_plan):
    providers_on("stability")
    html = alice_client.get("/create/").content.decode()
    assert 'max="10"' in _slider(html)
    assert "is-locked" not in html and "data-locked" not in html


def test_a_forged_request_above_the_plan_is_refused_with_the_plan_that_allows_it(
    alice_client, providers_on
):
    providers_on("stability")
    response = alice_client.post(
        "/create/",
        {
            "prompt": "a fox",
            "template": "instagram-square",
            "engine": "auto",
            "quality": "standard",
            "variations": 5,
        },
        **HTMX,
    )
    assert "allows up to 2 variations" in response.content.decode()
    assert not Job.objects.exists()


def test_the_first_render_shows_the_price_and_autos_choice(alice_client, providers_on, pro_plan):
    providers_on("stability")
    html = " ".join(alice_client.get("/create/").content.decode().split())
    assert "see price" not in html
    price = re.search(r"Generate · (\d+) credits?", html)
    assert price, html
    assert re.search(r'<p id="route-note"[^>]*>Auto: Stability \S+ — ', html)
    # The same form, estimated once the user typed a prompt, costs the same.
    estimate = alice_client.post(
        "/create/?estimate=1",
        {
            "prompt": "a fox",
            "template": "instagram-square",
            "engine": "auto",
            "quality": "standard",
            "variations": 1,
        },
        **HTMX,
    ).content.decode()
    assert f"Generate · {price.group(1)} credit" in " ".join(estimate.split())
    assert 'id="route-note"' in estimate and 'hx-swap-oob="true"' in estimate


def test_the_estimate_names_an_explicit_choice(alice_client, providers_on, pro_plan):
    providers_on("stability")
    estimate = alice_client.post(
        "/create/?estimate=1",
        {
            "prompt": "",
            "template": "instagram-square",
            "engine": "stability:ultra",
            "quality": "premium",
            "variations": 1,
        },
        **HTMX,
    ).content.decode()
    assert "Chosen: Stability AI Ultra" in estimate


def test_vary_counts_stop_at_the_plan_too(alice_client, alice, providers_on):
    providers_on("stability")
    asset = AssetFactory(owner=alice)
    html = alice_client.get(f"/assets/{asset.public_id}/run/create.vary/").content.decode()
    field = re.search(r'<input type="number" name="variations"[^>]*>', html).group(0)
    assert 'max="2"' in field and 'value="2"' in field
    assert "Up to 2 on your Free plan; 3–10 with Creator" in html
