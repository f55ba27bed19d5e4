"""The library sidebar's counts and the image page's version tree: what they count and
which rows they may show."""

import pytest

from assets.models import Asset
from assets.selectors import (
    asset_lineage,
    asset_versions,
    collection_list,
    collection_options,
    tag_list,
)
from assets.services import assets_tag, collection_add_assets, collection_create
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_tag_counts_are_live_assets_only_most_used_first(alice, bob):
    live = [AssetFactory(owner=alice) for _ in range(3)]
    gone = AssetFactory(owner=alice, status=Asset.Status.TRASHED)
    assets_tag(owner=alice, asset_ids=[a.pk for a in live], names=["sky"])
    assets_tag(owner=alice, asset_ids=[live[0].pk, gone.pk], names=["beach"])
    assets_tag(owner=alice, asset_ids=[live[1].pk], names=["alps"])
    assets_tag(owner=alice, asset_ids=[gone.pk], names=["only-trashed"])
    theirs = AssetFactory(owner=bob)
    assets_tag(owner=bob, asset_ids=[theirs.pk], names=["sky"])

    tags = tag_list(owner=alice)

    assert [(t.name, t.n) for t in tags] == [("sky", 3), ("alps", 1), ("beach", 1)]
    assert [t.name for t in tag_list(owner=alice, limit=2)] == ["sky", "alps"]


def test_the_most_used_tags_are_right_when_trashed_links_reorder_them(alice):
    """Only the head of the tags by total is read; a tag whose links are mostly trashed
    must neither stay at the top nor push a live favourite out of it."""
    live = [AssetFactory(owner=alice) for _ in range(5)]
    gone = [AssetFactory(owner=alice, status=Asset.Status.TRASHED) for _ in range(6)]
    for name, count in [("a", 5), ("b", 4), ("c", 3), ("d", 2), ("e", 1)]:
        assets_tag(owner=alice, asset_ids=[x.pk for x in live[:count]], names=[name])
    assets_tag(owner=alice, asset_ids=[x.pk for x in gone] + [live[0].pk], names=["old"])

    assert [(t.name, t.n) for t in tag_list(owner=alice, limit=2)] == [("a", 5), ("b", 4)]
    assert [(t.name, t.n) for t in tag_list(owner=alice, limit=6)] == [
        ("a", 5), ("b", 4), ("c", 3), ("d", 2), ("e", 1), ("old", 1),
    ]  # fmt: skip


def test_collection_counts_leave_out_trashed_items(alice):
    kept, gone = AssetFactory(owner=alice), AssetFactory(owner=alice)
    moodboard = collection_create(owner=alice, name="Moodboard")
    collection_add_assets(collection=moodboard, asset_ids=[kept.pk, gone.pk])
    collection_create(owner=alice, name="Empty")
    Asset.objects.filter(pk=gone.pk).update(status=Asset.Status.TRASHED)

    listed = list(collection_list(owner=alice))

    assert [(c.name, c.n) for c in listed] == [("Empty", 0), ("Moodboard", 1)]
    assert listed[1].cover == kept
    names = [(c.name, c.n) for c in collection_list(owner=alice, covers=False)]
    assert names == [("Empty", 0), ("Moodboard", 1)]
    assert [c.name for c in collection_options(owner=alice)] == ["Empty", "Moodboard"]
    picker = collection_options(owner=alice, asset=kept)
    assert [(c.name, c.holds) for c in picker] == [("Empty", False), ("Moodboard", True)]


def test_version_tree_and_trail_show_only_the_owners_live_versions(alice, bob):
    root = AssetFactory(owner=alice, title="root")
    child = AssetFactory(owner=alice, title="child", parent=root, root_id=root.pk)
    trashed = AssetFactory(
        owner=alice, title="trashed", parent=root, root_id=root.pk, status=Asset.Status.TRASHED
    )
    leaf = AssetFactory(owner=alice, title="leaf", parent=child, root_id=root.pk)
    # A row that claims the tree but is not the owner's never shows.
    AssetFactory(owner=bob, title="intruder", parent=root, root_id=root.pk)

    tree = asset_versions(asset=leaf)[1]

    def titles(node):
        return [node.asset.title, [titles(c) for c in node.children]]

    assert titles(tree) == ["root", [["child", [["leaf", []]]]]]
    assert [a.title for a in asset_lineage(asset=leaf)] == ["root", "child"]
    assert [a.title for a in asset_lineage(asset=trashed)] == ["root"]


def test_the_image_page_gets_trail_and_tree_from_one_query(alice, django_assert_num_queries):
    root = AssetFactory(owner=alice, title="root")
    child = AssetFactory(owner=alice, title="child", parent=root, root_id=root.pk)
    leaf = AssetFactory(owner=alice, title="leaf", parent=child, root_id=root.pk)

    with django_assert_num_queries(1):
        lineage, tree = asset_versions(asset=leaf)

    assert lineage == asset_lineage(asset=leaf)
    assert tree.asset == root and [n.asset for n in tree.children] == [child]
    assert asset_versions(asset=root)[0] == []
