import pytest

from studio.jobs import services
from studio.jobs.models import Job
from tests.conftest import HTMX
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def _url(asset, op="tools.resize"):
    return f"/assets/{asset.public_id}/run/{op}/"


def test_operation_form_full_page_and_fragment(alice_client, alice_asset):
    full = alice_client.get(_url(alice_asset)).content.decode()
    assert "<html" in full and 'id="op-form"' in full and "Resize · Free" in full
    fragment = alice_client.get(_url(alice_asset), **HTMX).content.decode()
    assert "<html" not in fragment and 'id="op-form"' in fragment


def test_htmx_post_returns_a_polling_job_card(alice_client, alice_asset):
    response = alice_client.post(_url(alice_asset), {"width": 50, "mode": "fit"}, **HTMX)
    job = Job.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="job-{job.public_id}"' in html
    assert 'hx-trigger="every 1s"' in html
    assert job.get_absolute_url() in html


def test_plain_post_redirects_to_the_job_page(alice_client, alice_asset):
    response = alice_client.post(_url(alice_asset), {"width": 50, "mode": "fit"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()


def test_invalid_form_rerenders_in_place_and_creates_nothing(alice_client, alice_asset):
    response = alice_client.post(
        _url(alice_asset, "tools.crop"), {"x": 100, "y": 0, "width": 60, "height": 10}, **HTMX
    )
    html = response.content.decode()
    assert response["HX-Retarget"] == "#op-form" and response["HX-Reswap"] == "outerHTML"
    assert "must lie inside the image (120×80 px)" in html
    assert not Job.objects.exists()


def test_resize_needs_a_dimension(alice_client, alice_asset):
    response = alice_client.post(_url(alice_asset), {"mode": "fit"}, **HTMX)
    assert "Give a width, a height or both." in response.content.decode()
    assert not Job.objects.exists()


def test_unknown_operation_is_404(alice_client, alice_asset):
    assert alice_client.get(_url(alice_asset, "tools.nope")).status_code == 404


def test_csrf_is_enforced_on_operation_forms(alice, alice_asset):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(_url(alice_asset), {"width": 50, "mode": "fit"}).status_code == 403
    assert not Job.objects.exists()


def test_job_card_stops_polling_when_done(alice_client, alice, alice_asset):
    alice_client.post(_url(alice_asset), {"width": 50, "mode": "fit"}, **HTMX)
    job = Job.objects.get()
    services.job_run(job_id=job.pk)
    html = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert "hx-trigger" not in html
    assert 'data-status="succeeded"' in html
    assert job.outputs.get().get_absolute_url() in html


def test_failed_job_card_shows_message_and_retry(alice_client, alice):
    job = JobFactory(
        owner=alice, status=Job.Status.FAILED, error="The provider refused the prompt."
    )
    html = alice_client.get(job.get_absolute_url(), **HTMX).content.decode()
    assert "The provider refused the prompt." in html
    assert f"/jobs/{job.public_id}/retry/" in html


def test_job_urls_are_private(bob_client, client, alice):
    job = JobFactory(owner=alice)
    assert bob_client.get(job.get_absolute_url()).status_code == 404
    assert bob_client.get(job.get_absolute_url(), **HTMX).status_code == 404
    for action in ("cancel", "retry"):
        url = f"/jobs/{job.public_id}/{action}/"
        assert bob_client.post(url).status_code == 404
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.get(job.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert Job.objects.count() == 1


def test_cancel_view(alice_client, alice_asset):
    alice_client.post(_url(alice_asset), {"width": 50, "mode": "fit"}, **HTMX)
    job = Job.objects.get()
    html = alice_client.post(f"/jobs/{job.public_id}/cancel/", **HTMX).content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELED
    assert "No credits were charged" in html


def test_retry_view_queues_a_new_job(alice_client, alice_asset):
    alice_client.post(_url(alice_asset), {"width": 50, "mode": "fit"}, **HTMX)
    job = Job.objects.get()
    services.job_cancel(job=job)
    html = alice_client.post(f"/jobs/{job.public_id}/retry/", **HTMX).content.decode()
    new = Job.objects.exclude(pk=job.pk).get()
    assert new.retry_of == job and f'id="job-{new.public_id}"' in html


def test_dashboard_lists_only_modules_that_work(alice_client):
    from studio.jobs import registry

    html = alice_client.get("/").content.decode()
    for module in registry.modules():
        assert f'data-module="{module.key}"' in html and module.label in html
    assert "Not built yet" not in html
    assert "Drop images here" in html


def test_a_module_without_operations_is_not_shown(alice_client):
    from studio.jobs import registry

    registry.register_module(
        registry.Module(key="ghost", label="Ghost module", order=99, url_name="studio:dashboard")
    )
    html = alice_client.get("/").content.decode()
    assert "Ghost module" not in html


def test_navigation_lists_the_modules_with_pages_and_marks_the_current_one(alice_client):
    from studio.jobs import registry

    html = alice_client.get("/social/").content.decode()
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    for module in registry.modules():
        if module.url_name:
            assert f'data-module="{module.key}"' in nav
    assert 'data-module="create"' in nav and 'data-module="social"' in nav
    assert 'data-module="social" aria-current="page"' in nav
    assert 'data-module="create" aria-current="page"' not in nav


def test_pages_carry_csrf_header_for_htmx_and_local_htmx(alice_client):
    html = alice_client.get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "/static/django_htmx/htmx" in html
    assert "://cdn" not in html and "unpkg" not in html


def test_job_list_empty_and_filled(alice_client, alice):
    assert "No jobs yet" in alice_client.get("/jobs/").content.decode()
    JobFactory(owner=alice)
    assert "Resize" in alice_client.get("/jobs/").content.decode()


def test_recall_reopens_the_operation_with_its_settings(alice_client, alice, alice_asset):
    alice_client.post(
        _url(alice_asset, "tools.crop"), {"x": 7, "y": 3, "width": 50, "height": 40}, **HTMX
    )
    job = Job.objects.get()
    services.job_run(job_id=job.pk)
    child = job.outputs.get()
    html = alice_client.get(child.get_absolute_url()).content.decode()
    assert "Recall recipe" in html
    recall = f"/assets/{alice_asset.public_id}/run/tools.crop/?"
    assert recall in html
    import re

    href = (
        re.search(r'href="(/assets/[^"]+/run/tools\.crop/\?[^"]+)"', html)
        .group(1)
        .replace("&amp;", "&")
    )
    form = alice_client.get(href).content.decode()
    assert (
        'name="x" value="7"' in form
        and 'name="width" value="50"' in form
        and 'name="height" value="40"' in form
    )
