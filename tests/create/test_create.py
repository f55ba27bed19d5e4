"""Create Studio through the real provider clients, against the fake servers over HTTP."""

import pytest

from billing.models import LedgerEntry
from providers.local.metadata import is_marked_ai, read_recipe
from studio.jobs import services
from studio.models import Job, Persona
from tests.conftest import HTMX
from tests.utils import open_bytes, read_field

pytestmark = pytest.mark.django_db


def _form(**data):
    base = {
        "prompt": "a lighthouse on a cliff at dawn",
        "negative_prompt": "people",
        "template": "instagram-square",
        "style": "",
        "persona": "",
        "engine": "auto",
        "quality": "standard",
        "variations": 1,
        "width": "",
        "height": "",
        "seed": "",
    }
    base.update(data)
    return base


def _generate(client, **data):
    response = client.post("/create/", _form(**data), **HTMX)
    job = Job.objects.filter(operation="create.generate").order_by("-id").first()
    assert job is not None, response.content.decode()[:3000]
    return response, job


def test_without_providers_create_explains_which_keys_enable_it(alice_client, providers_on):
    providers_on("none-of-them")
    html = alice_client.get("/create/").content.decode()
    assert "Text-to-image needs an AI provider" in html
    for var in (
        "STABILITY_API_KEY",
        "WAVESPEED_API_KEY",
        "HF_TOKEN",
        "GEMINI_API_KEY",
        "OPENAI_API_KEY",
    ):
        assert var in html
    assert "disabled" in html  # the Generate button
    response = alice_client.post("/create/", _form(), **HTMX)
    assert "No configured provider can make images from text" in response.content.decode()
    assert not Job.objects.exists()


def test_picker_lists_only_configured_capable_models(alice_client, providers_on):
    providers_on("stability")
    html = alice_client.get("/create/").content.decode()
    assert 'value="stability:core"' in html and 'value="auto"' in html
    assert "wavespeed:" not in html and "openai:" not in html
    assert 'value="local:' not in html


def test_stability_generates_variations_with_seeds_and_negative(
    alice_client, alice, providers_on, pro_plan
):
    servers = providers_on("stability")
    _, job = _generate(
        alice_client, engine="stability:core", variations=2, seed=1234, template="instagram-story"
    )
    assert job.params["seeds"] == [1234, 1235]
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    calls = servers["stability"].requests_to("/generate/core", "POST")
    assert len(calls) == 2
    assert sorted(c.form["seed"] for c in calls) == ["1234", "1235"]
    assert all(
        c.form["aspect_ratio"] == "9:16" for c in calls
    )  # 1080×1920 mapped to the model's ratio
    assert all("people" in c.form["negative_prompt"] for c in calls)
    outputs = list(job.outputs.order_by("seed"))
    assert [o.seed for o in outputs] == [1234, 1235]
    assert all((o.width, o.height) == (1080, 1920) for o in outputs)  # exact template size
    data = read_field(outputs[0].file)
    assert open_bytes(data).size == (1080, 1920)
    recipe = read_recipe(data)
    assert recipe["seed"] == 1234 and recipe["prompt"] == "a lighthouse on a cliff at dawn"
    assert recipe["provider"] == "stability" and recipe["model"] == "core"
    assert is_marked_ai(data)
    assert outputs[0].prompt.startswith("a lighthouse on a cliff at dawn")
    assert outputs[0].source_module == "create"
    kinds = dict(LedgerEntry.objects.filter(job_id=job.public_id).values_list("kind", "provider"))
    assert kinds == {"hold": "stability", "capture": "stability"}


def test_negative_prompt_is_only_sent_to_models_that_accept_it(
    alice_client, providers_on, pro_plan
):
    servers = providers_on("wavespeed")
    _, job = _generate(
        alice_client, engine="wavespeed:ideogram-ai/ideogram-v3-turbo", template="x-post"
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [submit] = [
        r for r in servers["wavespeed"].requests if r.method == "POST" and "ideogram" in r.path
    ]
    assert "negative_prompt" not in submit.json
    assert submit.json["aspect_ratio"] == "16:9"


def test_free_size_models_get_a_scaled_size(alice_client, providers_on, pro_plan):
    servers = providers_on("wavespeed")
    _, job = _generate(
        alice_client,
        engine="wavespeed:wavespeed-ai/qwen-image/text-to-image",
        template="youtube-banner",
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [submit] = [
        r for r in servers["wavespeed"].requests if r.method == "POST" and "qwen-image" in r.path
    ]
    w, h = (int(v) for v in submit.json["size"].split("*"))
    assert max(w, h) <= 1536 and abs(w / h - 2560 / 1440) < 0.05
    assert (job.outputs.get().width, job.outputs.get().height) == (2560, 1440)


def test_model_parameters_are_validated_before_any_request(alice_client, providers_on, pro_plan):
    servers = providers_on("stability")
    response = alice_client.post(
        "/create/", _form(engine="stability:sd3.5-large", adv_cfg_scale="99"), **HTMX
    )
    assert "at most" in response.content.decode()
    assert not Job.objects.exists()
    assert servers["stability"].requests == []


def test_auto_picks_the_cheapest_capable_healthy_provider_and_says_why(
    alice_client, providers_on, pro_plan
):
    providers_on("stability", "wavespeed")
    _, job = _generate(alice_client, quality="standard")
    assert job.params["routes"][0] == {
        "provider": "wavespeed",
        "model": "wavespeed-ai/qwen-image/text-to-image",
    }
    assert job.params["reason"].startswith("Auto: WaveSpeed")
    assert "cheapest" in job.params["reason"]
    services.job_run(job_id=job.pk)
    html = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert "Auto: WaveSpeed" in html


def test_auto_respects_the_plan(alice_client, alice, providers_on):
    # The Free plan includes Stability but not WaveSpeed.
    providers_on("stability", "wavespeed")
    _, job = _generate(alice_client, quality="standard")
    assert job.params["provider"] == "stability"
    assert "your plan includes" in job.params["reason"]


def test_auto_falls_back_on_a_5xx_and_charges_only_successes(
    alice_client, alice, providers_on, pro_plan
):
    servers = providers_on("stability", "wavespeed")
    servers["wavespeed"].inject("server_error", times=10)
    _, job = _generate(alice_client, quality="standard", variations=2)
    assert job.params["provider"] == "wavespeed"
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    outputs = list(job.outputs.all())
    assert len(outputs) == 2 and {o.provider for o in outputs} == {"stability"}
    capture = LedgerEntry.objects.get(job_id=job.public_id, kind="capture")
    assert -capture.amount == job.credits_estimated


def test_auto_moves_on_when_a_provider_refuses_the_model_id_and_says_why(
    alice_client, providers_on, pro_plan
):
    servers = providers_on("stability")
    servers["stability"].retired_models = {"sd3.5-flash"}  # answered 400 like a retired id
    _, job = _generate(alice_client, quality="draft", variations=2)
    assert job.params["routes"][0]["model"] == "sd3.5-flash"
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    job.refresh_from_db()
    assert {o.model for o in job.outputs.all()} == {job.params["routes"][1]["model"]}
    [note] = job.result["route_notes"]
    assert note.startswith("Stability SD 3.5 Flash:") and "sd3.5-flash" in note
    html = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert "Auto moved on from Stability SD 3.5 Flash" in html


def test_partial_success_charges_only_the_images_made(alice_client, alice, providers_on, pro_plan):
    from billing.pricing import estimate

    servers = providers_on("stability")
    servers["stability"].inject("content_moderation", times=1, path="/generate/core")
    _, job = _generate(alice_client, engine="stability:core", variations=3)
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    job.refresh_from_db()
    assert job.outputs.count() == 2
    assert len(job.result["failed"]) == 1
    assert "2 of 3 images made" in job.message
    capture = LedgerEntry.objects.get(job_id=job.public_id, kind="capture")
    expected = estimate(
        operation="create.generate", provider="stability", model="core", quantity=2
    ).credits
    assert -capture.amount == expected < job.credits_estimated


def test_all_variations_failing_fails_the_job_and_releases(alice_client, providers_on, pro_plan):
    servers = providers_on("stability")
    servers["stability"].inject("content_moderation", times=5)
    _, job = _generate(alice_client, engine="stability:core", variations=2)
    assert services.job_run(job_id=job.pk) == Job.Status.FAILED
    assert LedgerEntry.objects.filter(job_id=job.public_id, kind="release").exists()


def test_persona_and_style_shape_the_final_prompt(alice_client, alice, providers_on, pro_plan):
    providers_on("stability")
    persona = Persona.objects.create(
        owner=alice,
        name="Sunny Co",
        voice="warm and upbeat",
        visual_style="soft daylight, pastel tones",
        colours=["#ffcc00", "#335577"],
        avoid="clutter, dark shadows",
    )
    _, job = _generate(
        alice_client, engine="stability:core", style="watercolour", persona=str(persona.public_id)
    )
    final = job.params["final_prompt"]
    assert final.startswith("a lighthouse on a cliff at dawn")
    assert "watercolour painting" in final and "soft daylight" in final and "#ffcc00" in final
    # The template sets the size; its description never reaches the model.
    assert "designed for" not in final and "grid" not in final.lower()
    negative = job.params["final_negative"]
    assert "people" in negative and "dark shadows" in negative and "digital" in negative
    assert job.params["persona_name"] == "Sunny Co"


def test_enhance_returns_the_text_for_the_user_to_edit(alice_client, providers_on):
    providers_on("stability")  # no text model configured: the local enhancer answers
    response = alice_client.post(
        "/create/enhance/",
        {
            "prompt": "a cup of coffee",
            "style": "product-shot",
            "template": "instagram-story",
            "negative_prompt": "blur",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert "a cup of coffee, studio product photography" in html
    assert "vertical composition" in html and "away from the top and bottom edges" in html
    assert "Enhanced locally" in html
    assert 'id="id_negative_prompt"' in html and "clutter" in html


def test_enhance_uses_an_llm_when_one_is_configured(alice_client, providers_on, pro_plan):
    servers = providers_on("gemini")
    html = alice_client.post(
        "/create/enhance/", {"prompt": "a red bicycle"}, **HTMX
    ).content.decode()
    assert "Enhanced by gemini/" in html
    assert servers["gemini"].requests_to(":generateContent", "POST")


def test_recall_reproduces_the_form_exactly(alice_client, alice, providers_on, pro_plan):
    providers_on("stability")
    _, job = _generate(
        alice_client,
        engine="stability:sd3.5-large",
        style="cinematic",
        template="youtube-thumbnail",
        seed=77,
        adv_cfg_scale="5.5",
        quality="premium",
    )
    services.job_run(job_id=job.pk)
    asset = job.outputs.get()
    assert (
        f"/create/?recall={asset.public_id}"
        in alice_client.get(asset.get_absolute_url()).content.decode()
    )
    html = alice_client.get(f"/create/?recall={asset.public_id}&same_seed=1").content.decode()
    assert "a lighthouse on a cliff at dawn</textarea>" in html
    assert '<option value="youtube-thumbnail" selected' in html
    assert 'value="cinematic" checked' in html
    assert '<option value="stability:sd3.5-large" selected' in html
    assert '<option value="premium" selected' in html
    assert 'name="seed" value="77"' in html
    assert 'name="adv_cfg_scale"' in html and 'value="5.5"' in html
    # Without same_seed a recall leaves the seed empty, so new images differ.
    assert (
        'name="seed" value="77"'
        not in alice_client.get(f"/create/?recall={asset.public_id}").content.decode()
    )


def test_recall_of_another_users_asset_is_404(bob_client, alice, alice_asset):
    assert bob_client.get(f"/create/?recall={alice_asset.public_id}").status_code == 404


def test_live_estimate_matches_the_charge(alice_client, providers_on, pro_plan):
    providers_on("stability")
    html = alice_client.post(
        "/create/?estimate=1", _form(engine="stability:core", variations=4), **HTMX
    ).content.decode()
    _, job = _generate(alice_client, engine="stability:core", variations=4)
    assert f"Generate 4 · {job.credits_estimated} credits" in " ".join(html.split())
    services.job_run(job_id=job.pk)
    assert (
        -LedgerEntry.objects.get(job_id=job.public_id, kind="capture").amount
        == job.credits_estimated
    )


def test_plan_limits_disable_the_button_with_the_reason(alice_client, providers_on):
    providers_on("stability")
    html = alice_client.post(
        "/create/?estimate=1", _form(engine="stability:core", variations=8), **HTMX
    ).content.decode()
    assert "disabled" in html and "variations" in html
    response = alice_client.post("/create/", _form(engine="stability:core", variations=8), **HTMX)
    assert "variations" in response.content.decode()
    assert not Job.objects.exists()


def test_personas_crud_is_private(alice_client, bob_client, alice):
    response = alice_client.post(
        "/personas/new/", {"name": "Acme", "voice": "bold", "colours": "#112233, #abcdef"}
    )
    assert response.status_code == 302
    persona = Persona.objects.get(owner=alice)
    assert persona.colours == ["#112233", "#abcdef"]
    assert bob_client.get(persona.get_absolute_url()).status_code == 404
    assert bob_client.post(f"/personas/{persona.public_id}/delete/").status_code == 404
    bad = alice_client.post("/personas/new/", {"name": "Other", "colours": "blue"})
    assert "Not a #rrggbb colour: blue" in bad.content.decode()
    alice_client.post(f"/personas/{persona.public_id}/delete/")
    assert not Persona.objects.exists()


def test_every_template_size_is_valid_for_at_least_one_model(providers_on):
    from studio.create.services import generative_models, size_request
    from studio.create.styles import CREATE_TEMPLATES

    providers_on()
    models = [spec for _, spec in generative_models()]
    for template in CREATE_TEMPLATES:
        ok = []
        for spec in models:
            req = size_request(spec, template.width, template.height)
            if "aspect_ratio" in req:
                a, b = (int(x) for x in req["aspect_ratio"].split(":"))
                ok.append(abs((a / b) / (template.width / template.height) - 1) < 0.12)
            else:
                ok.append(
                    abs((req["width"] / req["height"]) / (template.width / template.height) - 1)
                    < 0.05
                )
        assert any(ok), template.key


def test_vary_makes_more_like_this_from_a_library_image(
    alice_client, alice, alice_asset, providers_on, pro_plan
):
    servers = providers_on("stability")
    alice_asset.prompt = "a red box"
    alice_asset.save()
    response = alice_client.post(
        f"/assets/{alice_asset.public_id}/run/create.vary/",
        {"prompt": "a red box", "strength": 0.4, "variations": 2, "quality": "standard"},
        **HTMX,
    )
    job = Job.objects.get(operation="create.vary")
    assert f'id="job-{job.public_id}"' in response.content.decode()
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    calls = [r for r in servers["stability"].requests if r.method == "POST"]
    assert len(calls) == 2 and all(c.file("image") is not None for c in calls)
    assert all(c.form["strength"] == "0.4" for c in calls)
    outputs = list(job.outputs.all())
    assert all(o.parent == alice_asset for o in outputs)
    assert all((o.width, o.height) == (alice_asset.width, alice_asset.height) for o in outputs)


def test_refine_preserving_structure_uses_a_control_model(
    alice_client, alice_asset, providers_on, pro_plan
):
    servers = providers_on("stability")
    alice_client.post(
        f"/assets/{alice_asset.public_id}/run/create.vary/",
        {
            "prompt": "the same box in gold",
            "strength": 0.3,
            "preserve_structure": "on",
            "variations": 1,
            "quality": "standard",
        },
        **HTMX,
    )
    job = Job.objects.get(operation="create.vary")
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [call] = servers["stability"].requests_to("/control/structure", "POST")
    assert call.form["prompt"] == "the same box in gold" and call.form["control_strength"] == "0.7"


def test_vary_without_a_capable_provider_says_which_key(alice_client, alice_asset, providers_on):
    providers_on("none")
    html = alice_client.get(f"/assets/{alice_asset.public_id}/run/create.vary/").content.decode()
    assert "STABILITY_API_KEY" in html and "disabled" in html
    response = alice_client.post(
        f"/assets/{alice_asset.public_id}/run/create.vary/",
        {"strength": 0.4, "variations": 1, "quality": "standard"},
        **HTMX,
    )
    assert "STABILITY_API_KEY" in response.content.decode()
    assert not Job.objects.exists()


def test_keys_never_reach_job_params_results_errors_or_assets(
    alice_client, providers_on, pro_plan, caplog
):
    import json

    servers = providers_on("stability")
    key = servers["stability"].api_key
    _, ok_job = _generate(alice_client, engine="stability:core")
    services.job_run(job_id=ok_job.pk)
    servers["stability"].inject("unauthorized", times=5)  # a rejected key: the likeliest leak
    _, bad_job = _generate(alice_client, engine="stability:core")
    services.job_run(job_id=bad_job.pk, retries_left=0)
    for job in Job.objects.all():
        job.refresh_from_db()
        blob = json.dumps([job.params, job.result, job.error, job.message])
        assert key not in blob
        for asset in job.outputs.all():
            assert key not in json.dumps([asset.params, asset.metadata, asset.prompt])
    bad_job.refresh_from_db()
    assert bad_job.status == Job.Status.FAILED and bad_job.error
    assert key not in caplog.text
    html = alice_client.get(bad_job.get_absolute_url()).content.decode()
    assert key not in html


def test_each_variation_reports_its_own_progress(alice_client, providers_on, pro_plan, monkeypatch):
    from studio.create import services as create

    providers_on("stability")
    _, job = _generate(alice_client, engine="stability:core", variations=4)
    seen = []
    real = create.run_generate

    def spy(**kwargs):
        report = kwargs["report"]

        def recording(detail):
            report(detail)
            seen.append([d["state"] for d in detail])
            # What the polling card shows at this moment:
            html = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
            assert html.count('class="item-card item-') == 4

        kwargs["report"] = recording
        return real(**kwargs)

    from dataclasses import replace

    from studio.jobs import registry as catalog

    monkeypatch.setitem(
        catalog.OPERATIONS,
        "create.generate",
        replace(catalog.OPERATIONS["create.generate"], runner=spy),
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED
    assert seen[0] == ["running", "running", "running", "queued"]
    assert seen[-1] == ["done"] * 4


def test_a_board_that_hides_details_strips_the_recipe_from_downloads(
    alice_client, alice, client, providers_on, pro_plan
):
    from assets.services import share_create

    providers_on("stability")
    _, job = _generate(alice_client, engine="stability:core", prompt="SECRET CLIENT PROMPT")
    services.job_run(job_id=job.pk)
    asset = job.outputs.get()
    assert read_recipe(read_field(asset.file))["prompt"] == "SECRET CLIENT PROMPT"
    for show_details, leaks in ((False, False), (True, True)):
        share = share_create(
            owner=alice, asset=asset, allow_download=True, show_details=show_details
        )
        response = client.get(f"/s/{share.token}/a/{asset.public_id}/download/")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200
        assert (b"SECRET CLIENT PROMPT" in body) is leaks
        assert open_bytes(body).size == (asset.width, asset.height)


def test_enhance_falls_back_to_local_when_the_plan_lacks_the_llm(alice_client, providers_on):
    servers = providers_on("gemini")  # the Free plan does not include Gemini
    html = alice_client.post(
        "/create/enhance/", {"prompt": "a red bicycle"}, **HTMX
    ).content.decode()
    assert "Enhanced locally" in html
    assert not servers["gemini"].requests_to(":generateContent", "POST")


def test_enhance_llm_calls_are_rate_limited_per_user(
    alice_client, providers_on, pro_plan, monkeypatch
):
    from studio.create import views as create_views

    monkeypatch.setattr(create_views, "ENHANCE_LLM_PER_HOUR", 2)
    servers = providers_on("gemini")
    methods = [
        alice_client.post("/create/enhance/", {"prompt": "a red bicycle"}, **HTMX).content.decode()
        for _ in range(3)
    ]
    assert ["Enhanced by gemini/" in m for m in methods] == [True, True, False]
    assert len(servers["gemini"].requests_to(":generateContent", "POST")) == 2


def test_bad_ids_in_the_query_are_404_or_ignored(alice_client):
    assert alice_client.get("/create/?recall=garbage").status_code == 404
    assert alice_client.get("/create/?persona=garbage").status_code == 200
    response = alice_client.post("/create/enhance/", {"prompt": "x", "persona": "garbage"}, **HTMX)
    assert response.status_code == 200
