"""The Upscale page: presets and factors that fit, Auto and its reason, every method through
the pipeline (Stability against its fake server, offline FSRCNN), exact output sizes, and
credits held, captured or released."""

import io
from html import unescape

import pytest
from PIL import Image

from billing.models import CreditAccount
from studio.jobs import services
from studio.jobs.models import Job
from studio.upscale import methods as m
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _run(client, asset, **data):
    form = {"factor": "2", "preset": "", "engine": "auto", "format": "png", **data}
    response = client.post(f"/assets/{asset.public_id}/run/upscale.image/", form, **HTMX)
    return response, Job.objects.filter(operation="upscale.image").order_by("-id").first()


def _plan(client, asset, **data):
    form = {"factor": "2", "preset": "", "engine": "auto", "format": "png", **data}
    return unescape(client.post(f"/upscale/{asset.public_id}/plan/", form).content.decode())


def _size(job):
    out = job.outputs.get()
    with out.file.open("rb") as fh:
        return Image.open(io.BytesIO(fh.read())).size, out


def test_targets_fit_the_preset_box_in_the_image_orientation():
    assert m.target_for(1200, 800, preset="web") == (2048, 1365)
    assert m.target_for(800, 1200, preset="web") == (1365, 2048)
    assert m.target_for(3000, 2000, preset="a4") == (3508, 2339)
    assert m.target_for(2000, 3000, preset="a3") == (3307, 4961)
    assert m.target_for(1920, 1080, preset="uhd") == (3840, 2160)
    assert m.target_for(100, 50, factor="4") == (400, 200)


def test_page_offers_presets_with_their_size_and_every_available_method(
    alice_client, alice, providers_on
):
    providers_on("stability")
    asset = AssetFactory(owner=alice, size=(600, 400))
    html = alice_client.get(f"/upscale/{asset.public_id}/").content.decode()
    assert "Web · 2048×1365 px" in html
    # Free allows 4.2 MP outputs: A3 at 300 dpi (16 MP) is named as not possible.
    assert "Print A3 ·" not in html and "Print A3" in html.split("Not possible", 1)[1]
    assert 'value="stability:upscale-fast"' in html
    assert 'value="stability:upscale-creative"' in html
    assert 'value="local:upscale-fast"' in html
    assert 'value="auto"' in html
    assert f"/upscale/{asset.public_id}/plan/" in html


def test_the_plan_shows_size_method_reason_and_cost_and_a_preset_changes_them(
    alice_client, alice, providers_on, on_plan
):
    providers_on("stability")
    on_plan("creator")
    asset = AssetFactory(owner=alice, size=(600, 400))
    html = _plan(alice_client, asset, factor="2")
    assert "1200×800 px" in html and "Stability fast ×4" in html
    assert "Auto: Stability fast ×4" in html and "2 credits" in html
    html = _plan(alice_client, asset, preset="a3")
    assert "4961×3307 px" in html
    # ×4 of 600×400 can't reach A3: Auto says so and goes offline, for free.
    assert "Offline FSRCNN" in html and "Free" in html
    assert "makes at most 2400×1600 px" in html


def test_a_chosen_method_that_cannot_reach_the_target_is_refused_with_the_reason(
    alice_client, alice, providers_on, on_plan
):
    providers_on("stability")
    on_plan("creator")
    before = CreditAccount.objects.get(user=alice).balance
    asset = AssetFactory(owner=alice, size=(600, 400))
    response, job = _run(alice_client, asset, preset="a3", engine="stability:upscale-fast")
    html = response.content.decode()
    assert job is None
    assert "Stability fast ×4 makes at most 2400×1600 px from this image" in html
    assert CreditAccount.objects.get(user=alice).balance == before
    assert CreditAccount.objects.get(user=alice).held == 0


def test_a_12_megapixel_photo_is_offered_only_sizes_that_fit_and_some_plan_upscales_it(
    alice_client, alice, on_plan, providers_on
):
    providers_on("none")
    photo = AssetFactory(owner=alice, size=(4000, 3000), fmt="JPEG")
    # Free (4.2 MP outputs): nothing fits, and the page says why instead of failing later.
    html = alice_client.get(f"/upscale/{photo.public_id}/").content.decode()
    assert "No factor fits" in html and "Not possible for this 4000×3000 px image" in html
    # Creator (16.7 MP): A3 at 300 dpi fits; ×2 (48 MP) does not.
    on_plan("creator")
    html = alice_client.get(f"/upscale/{photo.public_id}/").content.decode()
    assert "Print A3 · 4677×3508 px" in html and "×2 · 8000×6000 px" not in html
    # Pro (67 MP) and the offline engine's 50 MP: ×2 fits.
    on_plan("pro")
    html = alice_client.get(f"/upscale/{photo.public_id}/").content.decode()
    assert "×2 · 8000×6000 px" in html and "×3 ·" not in html
    plan = _plan(alice_client, photo, factor="2")
    assert "8000×6000 px" in plan and "Offline FSRCNN" in plan and "12.0 MP" in plan


def test_offline_fsrcnn_makes_the_exact_preset_size_as_a_new_version(
    alice_client, alice, providers_on
):
    providers_on("none")
    asset = AssetFactory(owner=alice, size=(300, 200))
    response, job = _run(alice_client, asset, preset="social")
    assert job is not None, response.content.decode()
    assert (
        job.params["method"] == "local:upscale-fast" and job.params["price_key"] == "upscale.fast"
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    job.refresh_from_db()
    size, out = _size(job)
    assert size == (1080, 720)
    assert out.parent_id == asset.pk and out.source_module == "upscale"
    assert job.credits_charged == 0


def test_stability_fast_runs_with_real_fields_and_captures_the_quote(
    alice_client, alice, providers_on, on_plan
):
    servers = providers_on("stability")
    on_plan("creator")
    start = CreditAccount.objects.get(user=alice).balance
    asset = AssetFactory(owner=alice, size=(300, 200))
    _, job = _run(alice_client, asset, factor="3", engine="stability:upscale-fast", format="webp")
    assert job.credits_estimated == 2
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    job.refresh_from_db()
    [call] = servers["stability"].requests_to("/upscale/fast", "POST")
    assert call.file("image") is not None and call.form["output_format"] == "webp"
    assert "prompt" not in call.form  # the fast upscaler's schema has no prompt
    size, out = _size(job)
    assert size == (900, 600)  # ×4 from the model, brought to the ×3 asked for
    assert out.content_type == "image/webp" and out.provider == "stability"
    assert job.credits_charged == job.credits_estimated == 2
    assert CreditAccount.objects.get(user=alice).balance == start - 2


def test_creative_upscale_is_submitted_then_polled_until_ready(
    alice_client, alice, providers_on, on_plan
):
    servers = providers_on("stability")
    servers["stability"].pending_polls = 2
    on_plan("pro")
    asset = AssetFactory(owner=alice, size=(400, 300), title="Harbour at dusk")
    _, job = _run(
        alice_client,
        asset,
        factor="4",
        engine="stability:upscale-creative",
        prompt="a harbour at dusk",
        creativity="0.4",
        style_preset="photographic",
    )
    assert job.credits_estimated == 60
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [submit] = servers["stability"].requests_to("/upscale/creative", "POST")
    assert submit.form["prompt"] == "a harbour at dusk"
    assert submit.form["creativity"] == "0.4" and submit.form["style_preset"] == "photographic"
    polls = [r for r in servers["stability"].requests if r.path.startswith("/v2beta/results/")]
    assert len(polls) == 3  # two 202s, then the image
    job.refresh_from_db()
    size, _ = _size(job)
    assert size == (1600, 1200)
    assert job.credits_charged == 60


def test_a_provider_failure_after_the_hold_releases_the_credits(
    alice_client, alice, providers_on, on_plan
):
    servers = providers_on("stability")
    on_plan("creator")
    start = CreditAccount.objects.get(user=alice).balance
    asset = AssetFactory(owner=alice, size=(300, 200))
    _, job = _run(alice_client, asset, factor="2", engine="stability:upscale-conservative")
    assert CreditAccount.objects.get(user=alice).held == 40
    servers["stability"].inject("server_error", times=5)
    assert services.job_run(job_id=job.pk) == Job.Status.FAILED
    account = CreditAccount.objects.get(user=alice)
    assert account.held == 0 and account.balance == start
    assert not job.outputs.exists()


def test_conservative_upscale_is_locked_on_free_with_the_plan_reason(
    alice_client, alice, providers_on
):
    providers_on("stability")
    asset = AssetFactory(owner=alice, size=(300, 200))
    html = _plan(alice_client, asset, engine="stability:upscale-conservative")
    assert "doesn't include Conservative upscale" in html
    response, job = _run(alice_client, asset, engine="stability:upscale-conservative")
    assert job is None and "include Conservative upscale" in unescape(response.content.decode())


def test_the_plan_page_states_real_output_and_upscale_limits(alice_client):
    html = unescape(alice_client.get("/billing/").content.decode())
    assert "any size" not in html
    assert "a 12 MP photo is already larger than this plan's outputs" in html  # Free
    assert "a 12 MP photo (4000×3000) up to 4729×3547 px (×1.18)" in html  # Creator, 16.8 MP
    assert "up to 8164×6123 px (×2.04)" in html  # Pro and Business: the server's 50 MP
    assert "50 MP (this server's upscaler" in html
