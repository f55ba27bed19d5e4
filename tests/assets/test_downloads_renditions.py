import io
import zipfile
from unittest import mock

import pytest
from django.http import StreamingHttpResponse

from assets.archive import _Sink, zip_stream
from assets.models import Asset, Rendition, UsageEvent
from assets.services import rendition_get_or_create
from assets.tasks import rendition_create_task
from tests.assets.factories import generated_asset, text_asset
from tests.conftest import HTMX
from tests.factories import AssetFactory
from tests.utils import image_bytes, open_bytes, read_field

pytestmark = pytest.mark.django_db


def _zip(response) -> zipfile.ZipFile:
    assert isinstance(response, StreamingHttpResponse)
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_bulk_zip_contains_exactly_the_selection_with_unique_names(alice_client, alice, bob):
    a = AssetFactory(owner=alice, title="Sunset")
    b = AssetFactory(owner=alice, title="Sunset")  # same title: must not collide
    c = generated_asset(alice, title="", prompt="A fox / in snow?")
    left_out = AssetFactory(owner=alice, title="Not selected")
    theirs = AssetFactory(owner=bob, title="Bob's")
    ids = [a, b, c, theirs]
    response = alice_client.post(
        "/library/bulk/download/", {"ids": [str(x.public_id) for x in ids]}
    )
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="library-')
    archive = _zip(response)
    names = archive.namelist()
    assert sorted(names) == ["a-fox-in-snow.png", "sunset-2.png", "sunset.png"]
    assert archive.testzip() is None
    contents = {archive.read(n) for n in names}
    assert contents == {read_field(x.file) for x in (a, b, c)}
    assert read_field(left_out.file) not in contents or len(contents) == 1
    assert UsageEvent.objects.filter(kind="download", context="zip").count() == 3


def test_zip_stream_yields_chunks_as_it_goes(alice):
    big = AssetFactory(owner=alice, size=(600, 600))
    small = AssetFactory(owner=alice)
    assert not hasattr(_Sink(), "seek")  # zipfile must treat the sink as unseekable
    stream = zip_stream([big, small])
    first = next(stream)
    assert first.startswith(b"PK\x03\x04")  # bytes go out before the archive is finished
    chunks = [first, *stream]
    assert len(chunks) > 2
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    infos = archive.infolist()
    assert [i.file_size for i in infos] == [big.file.size, small.file.size]
    # Sizes follow each member in a data descriptor: written without seeking back.
    assert all(i.flag_bits & 0x08 for i in infos)


def test_bulk_zip_needs_a_selection_and_a_login(alice_client, client, alice_asset):
    assert alice_client.post("/library/bulk/download/", {}).status_code == 302
    assert (
        client.post("/library/bulk/download/", {"ids": [str(alice_asset.public_id)]}).status_code
        == 302
    )


def test_rendition_is_made_once_and_served_immutable(alice_client, alice, eager_tasks):
    asset = AssetFactory(owner=alice, size=(900, 300))
    assert rendition_create_task.delay(asset.pk, "grid").get() is True
    rendition_get_or_create(asset_id=asset.pk, spec="grid")
    rendition = Rendition.objects.get(asset=asset, spec="grid")
    assert Rendition.objects.filter(asset=asset).count() == 1
    assert (rendition.width, rendition.height) == (360, 360)
    response = alice_client.get(asset.rendition_url("grid"))
    assert (
        "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    )
    assert open_bytes(b"".join(response.streaming_content)).format == "WEBP"
    preview = rendition_get_or_create(asset_id=asset.pk, spec="preview")
    assert (preview.width, preview.height) == (900, 300)


def test_missing_rendition_is_queued_and_never_serves_the_original(
    alice_client, alice, django_capture_on_commit_callbacks
):
    asset = AssetFactory(owner=alice, size=(300, 200))
    with mock.patch("assets.tasks.rendition_create_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = alice_client.get(asset.rendition_url("grid"))
    delay.assert_called_once_with(asset.pk, "grid")
    body = b"".join(response.streaming_content)
    assert body != read_field(asset.file)
    assert open_bytes(body).format == "WEBP"  # the upload-time thumbnail stands in
    assert "no-cache" in response["Cache-Control"]
    with mock.patch("assets.tasks.rendition_create_task.delay"):
        preview = alice_client.get(asset.rendition_url("preview"))
    assert preview["Content-Type"] == "image/svg+xml"


def test_new_outputs_queue_their_grid_rendition(alice, django_capture_on_commit_callbacks):
    from assets.services import asset_create_output

    with mock.patch("assets.tasks.rendition_create_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            asset = asset_create_output(
                owner=alice,
                fh=io.BytesIO(image_bytes()),
                content_type="image/png",
                extension="png",
                source_module="tools",
                operation="tools.resize",
            )
    delay.assert_called_once_with(asset.pk, "grid")


def test_rendition_views_are_owner_only(alice_client, bob_client, client, alice_asset):
    url = alice_asset.rendition_url("grid")
    with mock.patch("assets.tasks.rendition_create_task.delay"):
        assert alice_client.get(url).status_code == 200
        assert alice_client.get(alice_asset.rendition_url("huge")).status_code == 404
    assert bob_client.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_non_image_assets_get_a_placeholder(alice_client, alice):
    report = text_asset(alice)
    response = alice_client.get(report.rendition_url("grid"))
    assert response["Content-Type"] == "image/svg+xml"
    assert b"Text" in response.content
    assert rendition_get_or_create(asset_id=report.pk, spec="grid") is None


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_download_in_a_chosen_format(alice_client, alice_asset, fmt, pil):
    response = alice_client.get(
        f"/library/{alice_asset.public_id}/download/", {"format": fmt, "quality": "70"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert open_bytes(response.content).format == pil
    assert UsageEvent.objects.filter(asset=alice_asset, kind="download", context=fmt).exists()


def test_download_can_keep_or_strip_metadata(alice_client, alice):
    from PIL import Image

    img = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    from django.core.files.base import ContentFile

    asset = AssetFactory(
        owner=alice, content_type="image/jpeg", file=ContentFile(buf.getvalue(), name="a.jpg")
    )
    url = f"/library/{asset.public_id}/download/"
    kept = alice_client.get(url, {"format": "jpeg", "quality": "90", "keep_metadata": "on"})
    stripped = alice_client.get(url, {"format": "jpeg", "quality": "90"})
    assert b"CameraMaker" in kept.content
    assert b"CameraMaker" not in stripped.content


def test_download_views_are_owner_only(bob_client, client, alice_asset):
    url = f"/library/{alice_asset.public_id}/download/"
    assert bob_client.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_usage_is_recorded_and_sortable(alice_client, alice):
    popular = AssetFactory(owner=alice, title="Popular")
    quiet = AssetFactory(owner=alice, title="Quiet")
    for _ in range(3):
        alice_client.get(popular.get_absolute_url())
    alice_client.get(popular.file_url() + "?download=1")
    popular.refresh_from_db()
    assert popular.usage_count == 4
    assert UsageEvent.objects.filter(asset=popular, kind="view").count() == 3
    html = alice_client.get(popular.get_absolute_url()).content.decode()
    assert "Detail views" in html and "<dd>4</dd>" in html
    grid = alice_client.get("/library/?sort=used", **HTMX).content.decode()
    assert grid.index(popular.get_absolute_url()) < grid.index(quiet.get_absolute_url())
    from assets.services import asset_export_record

    asset_export_record(asset_id=quiet.pk, target="instagram")
    assert "Exported to: instagram" in alice_client.get(quiet.get_absolute_url()).content.decode()


def test_version_tree_and_compare(alice_client, bob_client, client, alice):
    root = AssetFactory(owner=alice, title="Original")
    edit = AssetFactory(owner=alice, parent=root, title="Edited", operation="edit.inpaint")
    upscale = AssetFactory(owner=alice, parent=edit, title="Upscaled", operation="upscale.fast")
    sibling = AssetFactory(owner=alice, parent=root, title="Cropped", operation="tools.crop")
    assert upscale.root_id == root.pk
    html = alice_client.get(upscale.get_absolute_url()).content.decode()
    for a in (root, edit, sibling):
        assert a.get_absolute_url() in html
    assert "Compare with parent" in html
    # The existing hooks other pages and tests rely on.
    assert 'id="job-area"' in html and 'data-op="tools.resize"' in html
    assert 'hx-target="#tool-panel"' in html and 'class="preview' in html
    compare = alice_client.get(f"/library/{upscale.public_id}/compare/")
    body = compare.content.decode()
    assert compare.status_code == 200
    assert 'type="range"' in body and "js/compare.js" in body
    assert edit.rendition_url("preview") in body and upscale.rendition_url("preview") in body
    assert edit.file_url() not in body
    assert alice_client.get(f"/library/{root.public_id}/compare/").status_code == 404
    assert bob_client.get(f"/library/{upscale.public_id}/compare/").status_code == 404
    assert client.get(f"/library/{upscale.public_id}/compare/").status_code == 302


def test_rename_updates_title_and_search(alice_client, bob_client, alice_asset):
    url = f"/library/{alice_asset.public_id}/rename/"
    assert bob_client.post(url, {"title": "Hacked"}).status_code == 404
    response = alice_client.post(url, {"title": "Lighthouse"}, **HTMX)
    assert response["HX-Redirect"] == alice_asset.get_absolute_url()
    alice_asset.refresh_from_db()
    assert alice_asset.title == "Lighthouse"
    assert Asset.objects.filter(title="Lighthouse").count() == 1


def test_a_large_image_is_converted_by_a_job_not_in_the_request(
    alice_client, alice_asset, settings
):
    settings.EXPORT_SYNC_MAX_PIXELS = alice_asset.width * alice_asset.height - 1
    url = f"/library/{alice_asset.public_id}/download/"
    response = alice_client.get(url, {"format": "webp", "quality": "70"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"/assets/{alice_asset.public_id}/run/tools.convert/")
    assert "format=webp" in location and "quality=70" in location
    # The convert form opens with the same settings.
    html = alice_client.get(location).content.decode()
    assert 'value="webp" selected' in html or 'value="webp" checked' in html
