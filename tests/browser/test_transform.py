"""Transform's media in a real browser: a video served from local storage plays and seeks
(Range requests answered with 206), and the vendored model-viewer loads a GLB."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from assets.services import asset_create_output
from tests.factories import UserFactory
from tests.transform.media import make_glb_cube, make_mp4

from .helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_storage]


def _asset(user, data, content_type, ext):
    return asset_create_output(
        owner=user,
        fh=io.BytesIO(data),
        content_type=content_type,
        extension=ext,
        source_module="transform",
        operation="transform.image_to_video",
        title="Clip",
    )


def test_a_video_plays_and_seeks_through_range_requests(page, studio):
    user = UserFactory(username="alice")
    video = _asset(user, make_mp4(6.0, size=(320, 240)), "video/mp4", "mp4")
    statuses = []
    page.on(
        "response",
        lambda r: (
            statuses.append((r.status, r.headers.get("content-range")))
            if "/file/" in r.url
            else None
        ),
    )
    sign_in(page, user, base_url=studio)
    page.goto(video.get_absolute_url())
    player = page.locator("video")
    expect(player).to_have_attribute("poster", video.thumbnail_url())
    player.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.querySelector('video').currentTime > 0.3", timeout=10_000
    )
    player.evaluate("v => { v.pause(); v.currentTime = 4.5; }")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - 4.5) < 0.2; }",
        timeout=10_000,
    )
    assert player.evaluate("v => v.duration") == pytest.approx(6.0, abs=0.1)
    assert any(status == 206 and (rng or "").startswith("bytes ") for status, rng in statuses), (
        statuses
    )


def test_model_viewer_loads_the_glb(page, studio):
    user = UserFactory(username="alice")
    model = _asset(user, make_glb_cube(), "model/gltf-binary", "glb")
    sign_in(page, user, base_url=studio)
    page.goto(model.get_absolute_url())
    viewer = page.locator("model-viewer")
    expect(viewer).to_have_attribute("src", model.file_url())
    loaded = page.evaluate(
        """() => new Promise((resolve, reject) => {
             const mv = document.querySelector("model-viewer");
             const done = () => resolve(true);
             customElements.whenDefined("model-viewer").then(() => {
               if (mv.loaded) return done();
               mv.addEventListener("load", done, { once: true });
               mv.addEventListener("error", (e) => reject(new Error("model-viewer error: " + JSON.stringify(e.detail))), { once: true });
             });
             // Software WebGL in headless Chromium can take a while on a busy machine.
             setTimeout(() => reject(new Error("no load event")), 90000);
           })"""
    )
    assert loaded is True
    assert page.evaluate("() => document.querySelector('model-viewer').loaded") is True
    expect(page.get_by_role("link", name="Download GLB")).to_have_attribute(
        "href", f"{model.file_url()}?download=1"
    )
