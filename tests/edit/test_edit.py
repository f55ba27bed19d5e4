"""Edit operations: bad input refused on the form (no job, no hold, nothing stored), masks
kept with the job, and every provider edit run against the fake servers."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets.models import Asset
from billing.models import LedgerEntry
from providers.base import Capability
from providers.fakes import start_all
from studio.jobs import services
from studio.jobs.models import Job, JobFile
from studio.jobs.provider_health import reset_app_registry
from tests.conftest import HTMX
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _png(arr, mode=None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def picture(alice):
    w, h = 256, 192
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.full((h, w, 3), 220, dtype=np.uint8)
    arr[(xx - 128) ** 2 + (yy - 96) ** 2 < 50**2] = (40, 60, 160)
    asset = AssetFactory(owner=alice, size=(w, h), title="Disc")
    asset.file.save("disc.png", ContentFile(_png(arr)), save=True)
    return asset


def _mask(w=256, h=192, box=(100, 70, 160, 120)) -> SimpleUploadedFile:
    arr = np.zeros((h, w), dtype=np.uint8)
    x1, y1, x2, y2 = box
    arr[y1:y2, x1:x2] = 255
    return SimpleUploadedFile("mask.png", _png(arr), content_type="image/png")


def _post(client, asset, key, data):
    return client.post(f"/assets/{asset.public_id}/run/{key}/", data, **HTMX)


def _nothing_happened(picture):
    assert not Job.objects.exists()
    assert not JobFile.objects.exists()
    assert not LedgerEntry.objects.filter(kind="hold").exists()
    assert list(Asset.objects.all()) == [picture]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (_mask(box=(0, 0, 0, 0)), "The mask is empty"),
        (_mask(w=128, h=96), "must be the image"),
        (SimpleUploadedFile("mask.png", b"not an image at all", "image/png"), "not an image"),
        (
            SimpleUploadedFile(
                "photo.png",
                _png(np.random.default_rng(1).integers(0, 255, (192, 256, 3), dtype=np.uint8)),
                "image/png",
            ),
            "black and white",
        ),
    ],
    ids=["empty", "other-size", "not-an-image", "colour-photo"],
)
@pytest.mark.parametrize("key", ["edit.erase", "edit.recolor", "edit.inpaint"])
def test_a_bad_mask_is_refused_on_the_form(alice_client, picture, key, mask, message):
    mask.seek(0)
    response = _post(
        alice_client, picture, key, {"mask": mask, "output_format": "png", "color": "#20a040"}
    )
    assert message in response.content.decode()
    _nothing_happened(picture)


def test_a_missing_mask_is_refused(alice_client, picture):
    response = _post(alice_client, picture, "edit.erase", {"output_format": "png"})
    assert "A mask is required" in response.content.decode()
    _nothing_happened(picture)


def test_outpaint_over_the_plan_pixel_limit_is_refused(alice_client, picture):
    from billing.models import Plan

    Plan.objects.filter(slug="free").update(max_output_pixels=60_000)
    response = _post(
        alice_client,
        picture,
        "edit.outpaint",
        {"engine": "local:outpaint", "right": 400, "output_format": "png", "method": "auto"},
    )
    assert "allows outputs up to" in response.content.decode()
    _nothing_happened(picture)


def test_outpaint_over_the_model_maximum_is_refused(alice_client, picture):
    response = _post(
        alice_client,
        picture,
        "edit.outpaint",
        {"engine": "local:outpaint", "right": 5000, "output_format": "png", "method": "auto"},
    )
    assert "less than or equal to 4096" in response.content.decode()
    _nothing_happened(picture)


def test_outpaint_to_a_shape_computes_the_sides(alice, picture):
    from studio.jobs.registry import get_operation

    params = get_operation("edit.outpaint").build_params(
        {"target": "ratio:16:9", "engine": "local:outpaint", "output_format": "png"}, [picture]
    )
    # 256×192 → 16:9 needs 342 px across: 86 more, split over left and right.
    assert (params["left"], params["right"], params["up"], params["down"]) == (43, 43, 0, 0)


def test_a_prompt_for_the_offline_fill_is_refused(alice_client, picture):
    response = _post(
        alice_client,
        picture,
        "edit.inpaint",
        {"engine": "local:erase", "prompt": "a cat", "mask": _mask(), "output_format": "png"},
    )
    assert "offline fill takes no prompt" in response.content.decode()
    _nothing_happened(picture)


# --------------------------------------------------------------------------- offline runs


def test_an_offline_erase_keeps_its_mask_with_the_job_and_grows_it(alice_client, picture):
    response = _post(
        alice_client,
        picture,
        "edit.erase",
        {
            "engine": "local:erase",
            "mask": _mask(),
            "mask_grow": 6,
            "mask_feather": 0,
            "method": "telea",
            "output_format": "png",
        },
    )
    job = Job.objects.get()
    assert response.status_code == 200 and job.provider == "local"
    assert services.job_run(job_id=job.pk) == Job.Status.SUCCEEDED, job.error
    out = job.outputs.get()
    assert out.parent == picture  # a new version of its source
    stored = job.files.get(role="mask")
    assert (stored.width, stored.height) == (256, 192)
    assert list(Asset.objects.exclude(pk=out.pk)) == [picture]  # the mask is no asset
    card = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert f"/library/{out.public_id}/compare/" in card  # opens in the compare view
    assert f"/edit/{out.public_id}/?op=edit.erase" in card  # keep editing the new version
    # The mask page serves it to its owner only.
    assert alice_client.get(f"/edit/jobs/{job.public_id}/mask/").status_code == 200


def test_grow_and_feather_widen_and_soften_the_mask():
    from studio.edit.masks import grow_and_feather

    mask = np.zeros((100, 100), np.uint8)
    mask[40:60, 40:60] = 255
    grown = grow_and_feather(mask, grow=5)
    assert grown[35, 50] == 255 and grown[33, 50] == 0
    soft = grow_and_feather(mask, feather=6)
    assert 0 < soft[40, 50] < 255 and soft[50, 50] == 255


def test_another_users_job_mask_is_404(bob_client, alice_client, picture):
    _post(alice_client, picture, "edit.erase", {"mask": _mask(), "output_format": "png"})
    job = Job.objects.get()
    assert bob_client.get(f"/edit/jobs/{job.public_id}/mask/").status_code == 404


def test_the_edit_page_offers_every_operation_and_the_editor(alice_client, picture):
    html = alice_client.get(f"/edit/{picture.public_id}/?op=edit.inpaint").content.decode()
    for key in (
        "edit.inpaint",
        "edit.erase",
        "edit.remove_background",
        "edit.replace_background",
        "edit.outpaint",
        "edit.search_replace",
        "edit.search_recolor",
        "edit.prompt_edit",
        "edit.recolor",
    ):
        assert f'data-op="{key}"' in html, key
    assert "data-mask-editor" in html and 'name="mask"' in html  # upload works without JS
    assert "js/mask-editor.js" in html and "css/edit.css" in html


# --------------------------------------------------------------------------- providers


@pytest.fixture(scope="module")
def fake_servers():
    servers = start_all()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def providers_on(fake_servers, monkeypatch, alice):
    from billing.models import Plan
    from billing.services import credits_add, plan_change

    plan_change(user=alice, plan=Plan.objects.get(slug="pro"))
    credits_add(user=alice, amount=5000, kind="purchase", reason="test credits")

    def enable(*names):
        for name, server in fake_servers.items():
            server.reset()
            for key, value in server.env().items():
                if name in names:
                    monkeypatch.setenv(key, value)
                else:
                    monkeypatch.delenv(key, raising=False)
        reset_app_registry()
        cache.clear()
        return fake_servers

    yield enable
    reset_app_registry()


def _run_ok(client, picture, key, data):
    response = _post(client, picture, key, data)
    job = Job.objects.filter(operation=key).order_by("-id").first()
    assert job is not None, response.content.decode()[-2500:]
    status = services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert status == Job.Status.SUCCEEDED, job.error
    return job


def test_stability_inpaint_gets_the_image_the_grown_mask_and_the_prompt(
    alice_client, picture, providers_on
):
    servers = providers_on("stability")
    job = _run_ok(
        alice_client,
        picture,
        "edit.inpaint",
        {
            "engine": "stability:inpaint",
            "prompt": "a red kite",
            "negative_prompt": "blur",
            "seed": 42,
            "style_preset": "photographic",
            "mask": _mask(),
            "mask_grow": 4,
            "output_format": "png",
        },
    )
    (req,) = servers["stability"].requests_to("edit/inpaint")
    assert req.form["prompt"] == "a red kite" and req.form["negative_prompt"] == "blur"
    assert req.form["seed"] == "42" and req.form["style_preset"] == "photographic"
    assert set(req.files) >= {"image", "mask"}
    sent = np.asarray(Image.open(io.BytesIO(req.file("mask").data)).convert("L"))
    assert sent.shape == (192, 256) and sent[70 - 3, 130] == 255  # grown by 4 px
    assert job.credits_charged == 5


def test_stability_erase_search_replace_recolor_outpaint_remove_and_relight(
    alice_client, picture, providers_on
):
    servers = providers_on("stability")
    stab = servers["stability"]
    _run_ok(
        alice_client,
        picture,
        "edit.erase",
        {"engine": "stability:erase", "mask": _mask(), "output_format": "png"},
    )
    (req,) = stab.requests_to("edit/erase")
    assert set(req.files) >= {"image", "mask"} and "prompt" not in req.form
    _run_ok(
        alice_client,
        picture,
        "edit.search_replace",
        {"prompt": "a golden coin", "search_prompt": "disc", "output_format": "png"},
    )
    (req,) = stab.requests_to("search-and-replace")
    assert req.form["search_prompt"] == "disc" and req.form["prompt"] == "a golden coin"
    _run_ok(
        alice_client,
        picture,
        "edit.search_recolor",
        {"prompt": "emerald green", "select_prompt": "disc", "output_format": "png"},
    )
    (req,) = stab.requests_to("search-and-recolor")
    assert req.form["select_prompt"] == "disc"
    _run_ok(
        alice_client,
        picture,
        "edit.outpaint",
        {"engine": "stability:outpaint", "left": 64, "creativity": 0.4, "output_format": "png"},
    )
    (req,) = stab.requests_to("edit/outpaint")
    assert req.form["left"] == "64" and req.form["creativity"] == "0.4"
    _run_ok(
        alice_client,
        picture,
        "edit.remove_background",
        {"engine": "stability:remove-background", "output_format": "png"},
    )
    assert stab.requests_to("remove-background")
    _run_ok(
        alice_client,
        picture,
        "edit.replace_background",
        {
            "engine": "stability:replace-background-and-relight",
            "background_prompt": "a beach at dusk",
            "light_source_direction": "left",
            "light_source_strength": 0.5,
            "light_reference": SimpleUploadedFile(
                "light.png", _png(np.full((96, 96, 3), 200, np.uint8)), "image/png"
            ),
            "output_format": "png",
        },
    )
    (req,) = stab.requests_to("replace-background-and-relight")
    assert req.form["background_prompt"] == "a beach at dusk"
    assert set(req.files) >= {"subject_image", "light_reference"}


def test_openai_inpaint_and_prompt_edit_and_gemini_prompt_edit(alice_client, picture, providers_on):
    servers = providers_on("openai", "gemini")
    job = _run_ok(
        alice_client,
        picture,
        "edit.inpaint",
        {
            "engine": "openai:gpt-image-1",
            "prompt": "a red kite",
            "quality": "low",
            "mask": _mask(),
            "output_format": "png",
        },
    )
    assert job.credits_charged == 2  # priced by quality
    (req,) = servers["openai"].requests_to("images/edits")
    assert req.form["prompt"] == "a red kite" and req.form["quality"] == "low"
    assert "mask" in req.files and "image" in req.files
    _run_ok(
        alice_client,
        picture,
        "edit.prompt_edit",
        {"engine": "gemini:" + _gemini_model(), "prompt": "make it night", "output_format": "png"},
    )
    (req,) = servers["gemini"].requests_to("generateContent")
    assert "make it night" in str(req.json)


def _gemini_model() -> str:
    from studio.jobs.provider_health import app_registry

    return app_registry().get("gemini").model_for(Capability.PROMPT_EDIT).id


def test_a_prompt_over_the_model_limit_is_refused(alice_client, picture, providers_on):
    providers_on("stability")
    response = _post(
        alice_client,
        picture,
        "edit.search_replace",
        {"prompt": "x" * 10_001, "search_prompt": "disc", "output_format": "png"},
    )
    assert "at most 10,000" in response.content.decode()
    _nothing_happened(picture)
