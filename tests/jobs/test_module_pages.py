"""Module pages built from the registry: a start page to pick an image, and a page per image
with the module's operations as tabs, all running through the one pipeline."""

import pytest

from studio.jobs import registry
from studio.jobs.models import Job
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("module", ["edit", "upscale"])
def test_module_page_lists_its_operations_and_shows_the_first_form(
    alice_client, alice_asset, module
):
    html = alice_client.get(f"/{module}/{alice_asset.public_id}/").content.decode()
    ops = [op for op in registry.operations(module) if op.in_actions]
    for op in ops:
        assert f'data-op="{op.key}"' in html
    assert f'data-op="{ops[0].key}" title' not in html or 'aria-current="page"' in html
    assert f"/assets/{alice_asset.public_id}/run/{ops[0].key}/" in html
    assert 'id="op-form"' in html and 'id="job-area"' in html


def test_op_query_selects_the_operation(alice_client, alice_asset):
    html = alice_client.get(f"/edit/{alice_asset.public_id}/?op=edit.outpaint").content.decode()
    assert f"/assets/{alice_asset.public_id}/run/edit.outpaint/" in html
    fragment = alice_client.get(
        f"/edit/{alice_asset.public_id}/?op=edit.outpaint", **HTMX
    ).content.decode()
    assert "<html" not in fragment and 'id="op-form"' in fragment


def test_module_page_form_runs_a_job(alice_client, alice_asset):
    response = alice_client.post(
        f"/assets/{alice_asset.public_id}/run/upscale.fast/",
        {"scale": "2", "output_format": "png"},
        **HTMX,
    )
    assert response.status_code == 200
    job = Job.objects.get()
    assert job.operation == "upscale.fast" and job.module == "upscale"


def test_start_page_links_each_image_to_the_module_page(alice_client, alice_asset):
    html = alice_client.get("/edit/").content.decode()
    assert f"/edit/{alice_asset.public_id}/" in html


def test_other_users_and_visitors_cannot_open_a_module_page(bob_client, client, alice_asset):
    assert bob_client.get(f"/edit/{alice_asset.public_id}/").status_code == 404
    response = client.get(f"/edit/{alice_asset.public_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_image_page_links_to_each_module_page(alice_client, alice_asset):
    html = alice_client.get(alice_asset.get_absolute_url()).content.decode()
    for module in registry.modules():
        if module.asset_url_name:
            assert f'data-module="{module.key}"' in html
