from studio import platforms
from studio.create.styles import (
    CREATE_TEMPLATES,
    STYLE_PRESETS,
    get_style,
    template_recommend,
    template_search,
)


def test_catalog_sizes_cover_the_platforms():
    assert len(platforms.social_formats()) >= 20
    assert len({f.platform for f in platforms.social_formats()}) >= 7
    assert len(CREATE_TEMPLATES) >= 27
    assert {t.platform for t in CREATE_TEMPLATES} >= {
        "instagram",
        "facebook",
        "x",
        "linkedin",
        "youtube",
        "pinterest",
        "tiktok",
        "blog",
        "email",
    }


def test_mislabelled_formats_use_their_true_ratios():
    assert platforms.get_format("facebook-cover").aspect_label == "2.63:1"
    assert platforms.get_format("linkedin-article").aspect_label == "1.91:1"
    assert platforms.get_format("linkedin-cover").aspect_label == "5.91:1"
    assert platforms.get_format("instagram-portrait").aspect_label == "4:5"


def test_safe_zone_box_in_pixels():
    story = platforms.get_format("instagram-story")
    assert story.safe.box(story.width, story.height) == (108, 480, 972, 1632)


def test_every_format_is_consistent():
    for f in platforms.FORMATS:
        assert f.min_width <= f.width and f.min_height <= f.height, f.key
        assert f.max_bytes > 0 and f.formats, f.key
        left, top, right, bottom = f.safe.box(f.width, f.height)
        assert 0 <= left < right <= f.width and 0 <= top < bottom <= f.height, f.key


def test_templates_reference_known_styles():
    for t in CREATE_TEMPLATES:
        for key in t.styles:
            assert get_style(key).key == key
    assert len(STYLE_PRESETS) >= 40
    assert len({s.key for s in STYLE_PRESETS}) == len(STYLE_PRESETS)


def test_template_search_by_platform_and_use_case():
    assert [t.key for t in template_search("linkedin banner")] == ["linkedin-cover"]
    assert "pinterest-pin" in [t.key for t in template_search("recipe")]
    assert {t.platform for t in template_search("youtube")} == {"youtube"}
    assert len(template_search("")) == len(CREATE_TEMPLATES)


def test_recommend_ranks_by_prompt_words_then_recent_use():
    top = template_recommend("thumbnail for my cooking tutorial video")[0]
    assert top.key == "youtube-thumbnail"
    assert template_recommend("a cosy recipe for autumn soup")[0].key == "pinterest-pin"
    # With no matching words, the user's recent choices come first.
    assert template_recommend("zzz", recent=["x-post", "blog-header"])[0].key == "x-post"
