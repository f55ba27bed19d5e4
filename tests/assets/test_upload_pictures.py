"""One decode per upload: the thumbnail, the grid tile and the palette all come from the
picture that validation decoded (a large JPEG at a reduced DCT scale)."""

import io
from unittest import mock

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from assets import imaging
from assets.models import Asset, Rendition
from assets.services import asset_create_from_upload
from assets.validation import inspect_image
from tests.assets.conftest import stored_files
from tests.utils import read_field

pytestmark = pytest.mark.django_db


def photo(width: int, height: int, *, orientation: int | None = None) -> bytes:
    """A JPEG with detail everywhere (gradients and noise), so resizing shows."""
    rng = np.random.default_rng(7)
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    base = 255 * np.concatenate([x * np.ones_like(y), y * np.ones_like(x), (x + y) / 2], axis=2)
    arr = np.clip(base + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def jpeg_decodes(spy) -> list[int]:
    """The DCT scale (1, 2, 4, 8) of each JPEG decode ``spy`` (on _getdecoder) saw."""
    return [c.args[3][0] for c in spy.call_args_list if c.args[1] == "jpeg"]


def test_a_large_jpeg_upload_is_decoded_once_at_a_reduced_scale(
    alice, eager_tasks, django_capture_on_commit_callbacks
):
    data = photo(2000, 1500)

    with mock.patch("PIL.Image._getdecoder", wraps=Image._getdecoder) as spy:
        with django_capture_on_commit_callbacks(execute=True):
            asset = asset_create_from_upload(
                owner=alice, uploaded=io.BytesIO(data), filename="a.jpg"
            )

    assert jpeg_decodes(spy) == [2]  # 1000×750: twice the thumbnail, once
    assert (asset.width, asset.height) == (2000, 1500)
    assert Image.open(asset.thumbnail.open()).size == (480, 360)
    assert asset.palette
    grid = asset.renditions.get()
    assert (grid.spec, grid.width, grid.height) == ("grid", 360, 360)


@pytest.mark.parametrize(
    ("size", "orientation"),
    [((2000, 1500), None), ((1800, 1200), None), ((3200, 800), None), ((2000, 1500), 6)],
    ids=["4:3", "3:2", "panorama", "4:3-turned"],
)
def test_the_upload_tile_is_the_one_the_task_would_make(
    alice, django_capture_on_commit_callbacks, size, orientation
):
    data = photo(*size, orientation=orientation)

    with mock.patch("assets.tasks.rendition_create_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            asset = asset_create_from_upload(
                owner=alice, uploaded=io.BytesIO(data), filename="a.jpg"
            )

    delay.assert_not_called()
    grid = Rendition.objects.get(asset=asset, spec="grid")
    with asset.file.open("rb") as fh:
        from_file, width, height = imaging.make_rendition(fh, spec="grid")
    assert read_field(grid.file) == from_file
    assert (grid.width, grid.height, grid.file_size) == (width, height, len(from_file))


def test_a_panorama_keeps_enough_pixels_for_its_tile():
    info = inspect_image(io.BytesIO(photo(3200, 800)))

    # Twice the thumbnail along the long side alone would be 960×240: the tile's short
    # side (360) would have to be blown up.
    assert min(info.image.size) >= 2 * 360 or info.image.size == (3200, 800)


def test_a_cut_off_large_jpeg_is_refused_at_a_reduced_scale(alice):
    data = photo(2000, 1500)

    with pytest.raises(ValidationError) as refused:
        asset_create_from_upload(
            owner=alice, uploaded=io.BytesIO(data[: len(data) // 2]), filename="a.jpg"
        )

    assert refused.value.code == "corrupt"
    assert not Asset.objects.exists() and not stored_files()


def test_a_failed_upload_leaves_no_tile_behind(alice):
    with mock.patch("assets.services._auto_tag_new", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError):
            asset_create_from_upload(
                owner=alice, uploaded=io.BytesIO(photo(800, 600)), filename="a.jpg"
            )

    assert not Asset.objects.exists() and not Rendition.objects.exists()
    assert not stored_files()


def test_small_display_copies_encode_fast_and_large_ones_small():
    img = Image.open(io.BytesIO(photo(2000, 1500)))
    img.load()

    with mock.patch("assets.imaging.encode", wraps=imaging.encode) as encode:
        imaging.make_thumbnail(img)
        imaging.render_rendition(img, spec="grid")
        imaging.render_rendition(img, spec="preview")

    methods = [c.kwargs.get("method") for c in encode.call_args_list]
    assert methods == [imaging.SMALL_WEBP_METHOD, imaging.SMALL_WEBP_METHOD, None]
