"""Staff run the studio from the admin: every model is registered, and each changelist
(with its search and filters) opens."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("studio", "assets", "billing")


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def test_every_project_model_is_in_the_admin():
    missing = [
        model.__name__
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        if not admin.site.is_registered(model)
    ]
    assert not missing, missing


def test_every_changelist_opens_with_search(staff_client):
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            url = reverse(f"admin:{label}_{model._meta.model_name}_changelist")
            assert staff_client.get(url).status_code == 200, url
            assert staff_client.get(url, {"q": "x"}).status_code == 200, url


def test_job_admin_cancels_and_retries(staff_client, alice, alice_asset):
    from studio.jobs.models import Job
    from tests.factories import JobFactory

    job = JobFactory(owner=alice, status=Job.Status.QUEUED)
    url = reverse("admin:studio_job_changelist")
    staff_client.post(url, {"action": "cancel_jobs", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELED
    staff_client.post(url, {"action": "retry_jobs", "_selected_action": [job.pk]})
    assert Job.objects.filter(retry_of=job).exists()
