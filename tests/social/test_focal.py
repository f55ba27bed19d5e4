"""The focal point: a bad one is a field error; one set by hand keeps the detected one
beside it, so "Back to detected" can return there."""

import pytest

from assets.services import asset_update_analysis
from studio.jobs import services
from studio.jobs.models import Job

from .test_views import _pack, photo  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.django_db

DETECTED = {"x": 0.8, "y": 0.3, "faces": [], "method": "saliency", "text": [], "source": "auto"}


@pytest.mark.parametrize(
    ("fx", "fy"), [("1.7", "0.5"), ("0.5", "-0.2"), ("abc", "0.5"), ("", "0.5"), ("nan", "0.5")]
)
def test_a_bad_focal_point_is_a_field_error_and_runs_nothing(alice_client, photo, fx, fy):  # noqa: F811
    response = _pack(alice_client, photo, focal_x=fx, focal_y=fy)
    html = response.content.decode()
    assert response.status_code in (200, 422)
    assert 'data-field="focal"' in html
    assert "The focal point must be on the picture." in html
    assert 'role="alert"' in html
    assert not Job.objects.filter(operation="social.pack").exists()


def test_a_point_set_by_hand_keeps_the_detected_one_and_the_page_offers_it(
    alice_client,
    photo,  # noqa: F811
):
    asset_update_analysis(asset=photo, focal_point=dict(DETECTED))
    _pack(alice_client, photo, focal_x=0.2, focal_y=0.6, focal_source="user")
    services.job_run(job_id=Job.objects.get(operation="social.pack").pk)
    photo.refresh_from_db()
    assert photo.focal_point["source"] == "user"
    assert (photo.focal_point["x"], photo.focal_point["y"]) == (0.2, 0.6)
    assert photo.focal_point["detected"] == {"x": 0.8, "y": 0.3, "method": "saliency"}

    html = alice_client.get(f"/social/{photo.public_id}/").content.decode()
    assert '<span id="focal-status">Set by you.</span>' in html
    reset = html[html.index('id="focal-reset"') :].split(">", 1)[0]
    assert "hidden" not in reset
    assert 'data-detected-x="0.8000" data-detected-y="0.3000"' in html


def test_back_to_detected_makes_the_detection_the_focal_point_again(
    alice_client,
    photo,  # noqa: F811
):
    asset_update_analysis(
        asset=photo,
        focal_point={
            **DETECTED,
            "x": 0.2,
            "y": 0.6,
            "source": "user",
            "detected": {"x": 0.8, "y": 0.3, "method": "saliency"},
        },
    )
    _pack(alice_client, photo, focal_x=0.8, focal_y=0.3, focal_source="auto")
    job = Job.objects.get(operation="social.pack")
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    photo.refresh_from_db()
    assert photo.focal_point["source"] == "auto"
    assert (photo.focal_point["x"], photo.focal_point["y"]) == (0.8, 0.3)
    assert "detected" not in photo.focal_point
    html = alice_client.get(f"/social/{photo.public_id}/").content.decode()
    assert '<span id="focal-status">Detected (saliency).</span>' in html


def test_a_fresh_image_offers_no_way_back_before_detection(alice_client, photo):  # noqa: F811
    html = alice_client.get(f"/social/{photo.public_id}/").content.decode()
    reset = html[html.index('id="focal-reset"') :].split(">", 1)[0]
    assert "hidden" in reset
    assert "data-detected-x" not in html


def test_formats_sit_in_a_drawer_that_counts_them(alice_client, photo):  # noqa: F811
    html = alice_client.get(f"/social/{photo.public_id}/").content.decode()
    assert '<details class="format-drawer" open>' in html
    assert "6 selected" in html
    html = _pack(alice_client, photo, formats=[]).content.decode()
    assert "data-keep-open" in html and "Tick at least one format." in html
