"""A board with downloads off never hands out a full-resolution copy through a preview."""

import io

import pytest
from django.test import Client
from PIL import Image

from assets.services import rendition_get_or_create, share_create
from tests.assets.factories import CollectionFactory
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def served_size(response) -> tuple[int, int]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Image.open(io.BytesIO(body)).size


def board_with(owner, size, *, allow_download=False):
    asset = AssetFactory(owner=owner, size=size)
    collection = CollectionFactory(owner=owner)
    collection.items.create(asset=asset)
    share = share_create(owner=owner, collection=collection, allow_download=allow_download)
    for spec in ("shared", "preview", "grid"):
        rendition_get_or_create(asset_id=asset.pk, spec=spec)
    return share, asset


def rendition_url(share, asset, spec):
    return f"/s/{share.token}/a/{asset.public_id}/r/{spec}/"


@pytest.mark.parametrize("size", [(3000, 2000), (1200, 900), (640, 420), (300, 200)])
def test_previews_are_capped_below_the_original(alice, size):
    share, asset = board_with(alice, size)
    for spec in ("preview", "grid"):
        width, height = served_size(Client().get(rendition_url(share, asset, spec)))
        assert max(width, height) <= 1024, spec
        assert width < size[0] and height < size[1], spec


def test_with_downloads_on_the_full_preview_is_served(alice):
    share, asset = board_with(alice, (1200, 900), allow_download=True)
    assert served_size(Client().get(rendition_url(share, asset, "preview"))) == (1200, 900)


def test_the_shared_rendition_cannot_be_asked_for_by_name(alice):
    share, asset = board_with(alice, (640, 420))
    assert Client().get(rendition_url(share, asset, "shared")).status_code == 404


def test_while_the_reduced_copy_is_made_no_full_size_stand_in_is_served(alice):
    asset = AssetFactory(owner=alice, size=(300, 200))
    collection = CollectionFactory(owner=alice)
    collection.items.create(asset=asset)
    share = share_create(owner=alice, collection=collection)
    for spec in ("preview", "grid"):
        response = Client().get(rendition_url(share, asset, spec))
        # Not made yet: the stand-in is the SVG placeholder, not the upload's thumbnail.
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml", spec
