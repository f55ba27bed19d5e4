"""Control through the real Stability client against its fake server: sketch, structure,
style guide and style transfer; bad input refused on the form before any hold."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset
from billing.models import CreditAccount
from studio.jobs import services
from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import AssetFactory, image_bytes

pytestmark = pytest.mark.django_db


def _post(client, asset, key, **data):
    response = client.post(f"/assets/{asset.public_id}/run/{key}/", data, **HTMX)
    job = Job.objects.filter(operation=key).order_by("-id").first()
    return unescape(response.content.decode()), job


def test_page_has_each_control_with_a_thumbnail_beside_its_slider(
    alice_client, alice, providers_on
):
    providers_on("stability")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html = alice_client.get(f"/control/{asset.public_id}/").content.decode()
    for key in ("control.sketch", "control.structure", "control.style", "control.style_transfer"):
        assert f'data-op="{key}"' in html
    assert 'class="slider-thumb"' in html and asset.thumbnail_url() in html
    assert 'type="range"' in html and 'name="control_strength"' in html
    assert 'value="stability:control-sketch"' in html
    html = alice_client.get(
        f"/control/{asset.public_id}/?op=control.style_transfer"
    ).content.decode()
    assert 'name="style_asset"' in html and 'name="style_upload"' in html
    assert 'name="composition_fidelity"' in html and 'data-thumb-source="style_asset"' in html


def test_sketch_to_image_sends_the_real_fields_and_makes_a_version(
    alice_client, alice, providers_on, on_plan
):
    servers = providers_on("stability")
    on_plan("creator")
    start = CreditAccount.objects.get(user=alice).balance
    sketch = AssetFactory(owner=alice, size=(320, 240))
    html, job = _post(
        alice_client,
        sketch,
        "control.sketch",
        engine="auto",
        prompt="a castle on a hill",
        negative_prompt="blurry",
        control_strength="0.6",
        style_preset="fantasy-art",
        seed="77",
        format="webp",
    )
    assert job is not None, html
    assert job.credits_estimated == 5 and job.provider == "stability"
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [call] = servers["stability"].requests_to("/control/sketch", "POST")
    assert call.form["prompt"] == "a castle on a hill"
    assert call.form["negative_prompt"] == "blurry"
    assert call.form["control_strength"] == "0.6"
    assert call.form["style_preset"] == "fantasy-art" and call.form["seed"] == "77"
    assert call.form["output_format"] == "webp" and call.file("image") is not None
    job.refresh_from_db()
    out = job.outputs.get()
    assert out.parent_id == sketch.pk and out.source_module == "control"
    assert out.content_type == "image/webp" and out.seed == 77
    assert job.credits_charged == 5
    assert CreditAccount.objects.get(user=alice).balance == start - 5


def test_style_guide_sends_the_aspect_ratio_and_fidelity(
    alice_client, alice, providers_on, on_plan
):
    servers = providers_on("stability")
    on_plan("creator")
    asset = AssetFactory(owner=alice, size=(320, 240))
    _, job = _post(
        alice_client,
        asset,
        "control.style",
        prompt="a fox",
        fidelity="0.3",
        aspect_ratio="16:9",
        format="png",
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [call] = servers["stability"].requests_to("/control/style", "POST")
    assert call.form["aspect_ratio"] == "16:9" and call.form["fidelity"] == "0.3"


def test_style_transfer_without_a_style_image_is_refused_before_any_hold(
    alice_client, alice, providers_on, on_plan
):
    providers_on("stability")
    on_plan("creator")
    asset = AssetFactory(owner=alice, size=(320, 240))
    count = Asset.objects.count()
    html, job = _post(
        alice_client, asset, "control.style_transfer", style_strength="1", format="png"
    )
    assert job is None
    assert "Style transfer needs a style image" in html
    assert CreditAccount.objects.get(user=alice).held == 0 and Asset.objects.count() == count


def test_style_transfer_with_an_uploaded_style_image(alice_client, alice, providers_on, on_plan):
    servers = providers_on("stability")
    on_plan("creator")
    content = AssetFactory(owner=alice, size=(320, 240))
    style = SimpleUploadedFile(
        "starry.png", image_bytes("PNG", (200, 200)), content_type="image/png"
    )
    html, job = _post(
        alice_client,
        content,
        "control.style_transfer",
        style_upload=style,
        style_strength="0.8",
        composition_fidelity="0.7",
        change_strength="0.5",
        format="png",
    )
    assert job is not None, html
    assert job.credits_estimated == 8
    # The uploaded style image is kept with the job, not added to the library.
    assert job.files.get().role == "style_upload"
    assert not Asset.objects.filter(original_filename="starry.png").exists()
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [call] = servers["stability"].requests_to("/style-transfer", "POST")
    assert call.file("init_image") is not None and call.file("style_image") is not None
    assert call.form["style_strength"] == "0.8" and call.form["composition_fidelity"] == "0.7"
    assert call.form["change_strength"] == "0.5"
    job.refresh_from_db()
    assert job.outputs.get().parent_id == content.pk


def test_style_transfer_with_a_style_image_from_the_library(
    alice_client, alice, providers_on, on_plan
):
    servers = providers_on("stability")
    on_plan("creator")
    content = AssetFactory(owner=alice, size=(320, 240))
    style = AssetFactory(owner=alice, size=(256, 256))
    html = alice_client.get(
        f"/control/{content.public_id}/?op=control.style_transfer"
    ).content.decode()
    assert f'value="{style.public_id}"' in html and style.thumbnail_url() in html
    _, job = _post(
        alice_client,
        content,
        "control.style_transfer",
        style_asset=str(style.public_id),
        format="png",
    )
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    [call] = servers["stability"].requests_to("/style-transfer", "POST")
    with style.file.open("rb") as fh:
        assert call.file("style_image").data == fh.read()


def test_another_users_image_is_not_a_style_choice(alice_client, alice, bob, providers_on, on_plan):
    providers_on("stability")
    on_plan("creator")
    content = AssetFactory(owner=alice, size=(320, 240))
    theirs = AssetFactory(owner=bob, size=(256, 256))
    html, job = _post(
        alice_client,
        content,
        "control.style_transfer",
        style_asset=str(theirs.public_id),
        format="png",
    )
    assert job is None and "not one of the available choices" in html


def test_an_image_too_small_or_too_large_for_the_model_is_refused_on_the_form(
    alice_client, alice, providers_on, on_plan
):
    providers_on("stability")
    on_plan("creator")
    tiny = AssetFactory(owner=alice, size=(48, 40))
    html, job = _post(alice_client, tiny, "control.structure", prompt="a house", format="png")
    assert job is None and "needs at least 64 px on each side" in html
    huge = AssetFactory(owner=alice, size=(64, 48))
    Asset.objects.filter(pk=huge.pk).update(width=4000, height=3000)
    huge.refresh_from_db()
    html, job = _post(alice_client, huge, "control.structure", prompt="a house", format="png")
    assert job is None and "takes at most 9.4 MP" in html
    assert CreditAccount.objects.get(user=alice).held == 0


def test_control_is_not_in_the_free_plan(alice_client, alice, providers_on):
    providers_on("stability")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html, job = _post(alice_client, asset, "control.sketch", prompt="a castle", format="png")
    assert job is None and "doesn't include Control" in html


def test_without_a_provider_control_says_so_and_disables_the_button(
    alice_client, alice, providers_on, on_plan
):
    providers_on("none")
    on_plan("creator")
    asset = AssetFactory(owner=alice, size=(320, 240))
    html = unescape(alice_client.get(f"/control/{asset.public_id}/").content.decode())
    assert "No provider in your plan can do control sketch" in html and "disabled" in html
