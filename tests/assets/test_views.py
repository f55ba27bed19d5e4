import collections
import re

import pytest

from tests.factories import AssetFactory
from tests.utils import open_bytes

pytestmark = pytest.mark.django_db


def _urls(asset):
    return [
        asset.get_absolute_url(),
        asset.file_url(),
        asset.thumbnail_url(),
        f"/assets/{asset.public_id}/run/tools.resize/",
    ]


def test_owner_sees_their_asset_pages(alice_client, alice_asset):
    for url in _urls(alice_asset):
        assert alice_client.get(url).status_code == 200, url


def test_another_user_gets_404_for_every_asset_url(bob_client, alice_asset):
    for url in _urls(alice_asset):
        assert bob_client.get(url).status_code == 404, url
    response = bob_client.post(
        f"/assets/{alice_asset.public_id}/run/tools.resize/", {"width": 10, "mode": "fit"}
    )
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, alice_asset):
    for url in [*_urls(alice_asset), "/", "/library/", "/jobs/", "/billing/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_file_view_serves_the_original_privately(alice_client, alice_asset):
    response = alice_client.get(alice_asset.file_url())
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    assert open_bytes(body).size == (120, 80)


def test_download_sets_a_file_name(alice_client, alice_asset):
    response = alice_client.get(alice_asset.file_url() + "?download=1")
    assert response["Content-Disposition"].startswith("attachment;")
    assert alice_asset.title in response["Content-Disposition"]


def test_thumbnail_is_webp_and_long_cached(alice_client, alice_asset):
    response = alice_client.get(alice_asset.thumbnail_url())
    body = b"".join(response.streaming_content)
    assert open_bytes(body).format == "WEBP"
    assert "immutable" in response["Cache-Control"]


def test_library_lists_only_my_assets(alice_client, alice, bob):
    mine = AssetFactory(owner=alice, title="Mine")
    AssetFactory(owner=bob, title="Not mine")
    html = alice_client.get("/library/").content.decode()
    assert mine.get_absolute_url() in html
    assert "Not mine" not in html


def test_library_empty_state(alice_client):
    html = alice_client.get("/library/").content.decode()
    assert "Nothing here yet" in html


def test_detail_page_lists_tools_and_lineage(alice_client, alice, alice_asset):
    child = AssetFactory(owner=alice, parent=alice_asset, title="Smaller", source_module="tools")
    html = alice_client.get(child.get_absolute_url()).content.decode()
    assert "Version trail" in html
    assert alice_asset.get_absolute_url() in html
    for label in ("Resize", "Crop", "Filters", "Export / convert", "Colour palette"):
        assert label in html
    parent_html = alice_client.get(alice_asset.get_absolute_url()).content.decode()
    assert "Made from this image" in parent_html and child.get_absolute_url() in parent_html


def test_the_version_trail_costs_one_query_however_deep(
    alice_client, alice, django_assert_max_num_queries
):
    from assets.selectors import asset_lineage

    chain = [AssetFactory(owner=alice, title="v0")]
    for i in range(1, 6):
        child = AssetFactory(owner=alice, title=f"v{i}", parent=chain[-1], root_id=chain[0].pk)
        chain.append(child)
    leaf = chain[-1]
    with django_assert_max_num_queries(1):
        trail = asset_lineage(asset=leaf)
    assert [a.title for a in trail] == ["v0", "v1", "v2", "v3", "v4"]


def test_the_image_page_gives_each_field_its_own_id(alice_client, alice):
    """Labels point at one field each: the rename and share forms both have a title."""
    asset = AssetFactory(owner=alice)
    html = alice_client.get(asset.get_absolute_url()).content.decode()
    ids = collections.Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'for="rename-title"' in html
