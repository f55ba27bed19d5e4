"""What an upload costs besides its pictures: its statements and library version bumps,
with the same rows as the general services would write; and the thumbnail it makes
from a reduced JPEG decode, held to one made from a full decode."""

import hashlib
import io
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from assets import imaging
from assets.library_cache import LibraryState
from assets.models import AssetTag, SearchTerm
from assets.services import asset_auto_tag, asset_create_from_upload, search_terms_add
from tests.assets.test_upload_pictures import photo

pytestmark = pytest.mark.django_db


def upload(owner, data: bytes, name: str = "Harbour at dusk.jpg"):
    return asset_create_from_upload(owner=owner, uploaded=io.BytesIO(data), filename=name)


def test_an_upload_runs_a_handful_of_statements(alice, django_assert_max_num_queries):
    data = photo(1200, 900)
    upload(alice, data, "first.jpg")  # the owner's automatic tags exist from here on

    # Insert the asset, its grid tile, look up its tags, link them, add its search
    # words (and on PostgreSQL its search document), inside a savepoint in a test.
    budget = 8 if connection.vendor == "postgresql" else 7
    with django_assert_max_num_queries(budget):
        upload(alice, data)


def test_an_upload_writes_the_tags_and_words_the_general_services_write(alice):
    asset = upload(alice, photo(1200, 900))
    tags = {(t.tag.name, t.source) for t in AssetTag.objects.filter(asset=asset)}
    words = set(SearchTerm.objects.filter(owner=alice).values_list("word", flat=True))

    assert {"image", "upload", "landscape"} <= {name for name, _ in tags}
    assert {source for _, source in tags} == {AssetTag.Source.AUTO}
    assert {"harbour", "dusk", "image", "upload"} <= words

    # Recomputing the tags and re-adding the words the general way changes nothing.
    asset_auto_tag(asset=asset)
    search_terms_add(asset_ids=[asset.pk])
    assert {(t.tag.name, t.source) for t in AssetTag.objects.filter(asset=asset)} == tags
    assert set(SearchTerm.objects.filter(owner=alice).values_list("word", flat=True)) == words


def test_new_tags_are_made_once_and_found_after(alice, bob):
    upload(bob, photo(800, 600))  # bob's tags are bob's alone
    first = upload(alice, photo(800, 600))
    again = upload(alice, photo(800, 600))

    names = sorted(t.tag.name for t in AssetTag.objects.filter(asset=first))
    assert names == sorted(t.tag.name for t in AssetTag.objects.filter(asset=again))
    assert alice.asset_tags.filter(name__in=names).count() == len(names)


@pytest.mark.django_db(transaction=True)
def test_an_upload_replaces_the_library_version_once_after_its_commit(alice):
    before = LibraryState(alice).version
    with mock.patch.object(cache, "set", wraps=cache.set) as cache_set:
        upload(alice, photo(800, 600))

    # Inside the write's transaction it would be replaced at once and again on commit.
    bumps = [c for c in cache_set.call_args_list if ":version:" in c.args[0]]
    assert len(bumps) == 1
    assert LibraryState(alice).version != before


def test_an_upload_in_a_callers_transaction_still_retires_the_version(
    alice, django_capture_on_commit_callbacks
):
    before = LibraryState(alice).version
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(alice, photo(800, 600))

    assert LibraryState(alice).version != before
    assert callbacks  # replaced again when the caller's transaction commits


def test_a_cache_that_fails_after_the_commit_does_not_fail_the_upload(alice, caplog):
    with mock.patch("assets.services.library_changed", side_effect=ConnectionError("down")):
        asset = upload(alice, photo(800, 600))

    assert asset.pk and asset.thumbnail
    assert "library version" in caplog.text


# --------------------------------------------------------------------------- quality

SKIMAGE_DATA = Path(__import__("skimage").__file__).parent / "data"


def natural_photo() -> bytes:
    """A 2000×1500 JPEG of real photographs at their own resolution (scikit-image's
    bundled astronaut, coffee, retina and rocket pictures side by side): fine natural
    detail everywhere, the kind that shows what a decode scale loses."""
    canvas = Image.new("RGB", (2000, 1500))
    tiles = {
        "astronaut.png": (0, 0),
        "coffee.png": (512, 0),
        "rocket.jpg": (1112, 0),
        "retina.jpg": (0, 512),
        "chelsea.png": (1411, 512),
        "motorcycle_left.png": (1411, 812),
    }
    for name, xy in tiles.items():
        canvas.paste(Image.open(SKIMAGE_DATA / name).convert("RGB"), xy)
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def psnr(a: Image.Image, b: Image.Image) -> float:
    x = np.asarray(a.convert("RGB"), dtype=np.float64)
    y = np.asarray(b.convert("RGB"), dtype=np.float64)
    return float(10 * np.log10(255**2 / np.mean((x - y) ** 2)))


def test_the_thumbnail_of_a_reduced_decode_is_as_good_as_one_of_a_full_decode(alice):
    data = natural_photo()
    full = Image.open(io.BytesIO(data))
    full.load()
    reference = full.resize((480, 360), Image.Resampling.LANCZOS)
    # The best a WebP thumbnail can be: the full-decode one, encoded the same way.
    best = Image.open(io.BytesIO(imaging.make_thumbnail(full)[0]))

    asset = upload(alice, data)
    with asset.thumbnail.open("rb") as fh:
        made = Image.open(io.BytesIO(fh.read()))

    assert made.size == reference.size
    # Within 0.2 dB of the full decode's (a decode at the next smaller scale, just over
    # the thumbnail's size, loses 0.5-1.1 dB on detailed photos: fine detail fades).
    assert psnr(made, reference) >= psnr(best, reference) - 0.2


class ReadOnly:
    """A file that can only read and seek (no readinto)."""

    def __init__(self, data: bytes) -> None:
        self.buf = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self.buf.read(n)

    def seek(self, *args) -> int:
        return self.buf.seek(*args)


@pytest.mark.parametrize(
    "wrap",
    [
        io.BytesIO,
        lambda d: SimpleUploadedFile("a.jpg", d),
        lambda d: File(io.BytesIO(d)),
        ReadOnly,
    ],
    ids=["bytesio", "uploaded", "file", "read-only"],
)
def test_the_checksum_is_the_sha256_of_the_whole_file_whatever_holds_it(wrap):
    data = bytes(range(256)) * 9000  # over two reads of a megabyte
    fh = wrap(data)
    fh.seek(100)

    assert imaging.sha256_of(fh) == hashlib.sha256(data).hexdigest()
    assert fh.read(3) == data[:3]  # left at the start for the next reader
