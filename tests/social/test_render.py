import io

import numpy as np
import pytest
from PIL import Image

from providers.base import InvalidInput
from providers.local.social import Target, crop_box, decode_for_targets, render_pack
from studio.platforms import get_format

SQUARE = Target("square", 300, 300, safe=(0.15, 0.15, 0.10, 0.10))
STORY = Target("story", 270, 480, safe=(0.25, 0.15, 0.10, 0.10))
BANNER = Target("banner", 600, 200, safe=(0.20, 0.10, 0.15, 0.15))


def _scene(size=(1200, 800), subject=(0.8, 0.3), radius=40, fmt="PNG") -> bytes:
    """Grey background with a red disc (the subject) centred at ``subject``."""
    w, h = size
    arr = np.full((h, w, 3), 128, dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = subject[0] * w, subject[1] * h
    arr[(xx - cx) ** 2 + (yy - cy) ** 2 < radius**2] = (230, 20, 20)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buf.getvalue()


def _red_centroid(data: bytes) -> tuple[float, float] | None:
    arr = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    red = (arr[..., 0] > 180) & (arr[..., 1] < 80) & (arr[..., 2] < 80)
    if not red.any():
        return None
    ys, xs = np.nonzero(red)
    return xs.mean() / arr.shape[1], ys.mean() / arr.shape[0]


def test_smart_keeps_the_subject_in_every_rendition():
    data = _scene(subject=(0.85, 0.3))
    for r in render_pack(data, [SQUARE, STORY, BANNER], mode="smart", fmt="png", focal=(0.85, 0.3)):
        centre = _red_centroid(r.data)
        assert centre is not None, r.key
        assert (r.width, r.height) == {
            "square": (300, 300),
            "story": (270, 480),
            "banner": (600, 200),
        }[r.key]


def test_centre_crops_from_the_middle():
    data = _scene(subject=(0.95, 0.5), radius=30)
    [r] = render_pack(data, [STORY], mode="centre", fmt="png")
    assert _red_centroid(r.data) is None  # the edge subject is cut away
    left, top, right, bottom = r.crop
    assert abs((left + right) / 2 - 600) < 1 and abs((top + bottom) / 2 - 400) < 1


def test_fit_keeps_the_whole_image():
    data = _scene(subject=(0.97, 0.5), radius=20)
    [r] = render_pack(data, [STORY], mode="fit", fmt="png", pad="#ffffff")
    img = Image.open(io.BytesIO(r.data)).convert("RGB")
    assert img.size == (270, 480)
    assert _red_centroid(r.data) is not None
    assert img.getpixel((135, 2)) == (255, 255, 255)  # padding above the letterboxed image
    assert r.crop == (0.0, 0.0, 1200.0, 800.0)


def test_fit_with_blurred_padding_has_no_flat_bars():
    [r] = render_pack(_scene(), [STORY], mode="fit", fmt="png", pad="blur")
    img = Image.open(io.BytesIO(r.data)).convert("RGB")
    assert img.getpixel((135, 2)) != (255, 255, 255)


def test_moving_the_focal_point_moves_the_crop():
    data = _scene()
    left_crop = crop_box(1200, 800, STORY, mode="smart", focal=(0.2, 0.5))
    right_crop = crop_box(1200, 800, STORY, mode="smart", focal=(0.8, 0.5))
    assert left_crop[0] < right_crop[0]
    [a] = render_pack(data, [STORY], mode="smart", fmt="png", focal=(0.2, 0.5))
    [b] = render_pack(data, [STORY], mode="smart", fmt="png", focal=(0.8, 0.3))
    assert a.crop != b.crop and a.data != b.data


def test_faces_that_fit_are_kept_inside_the_safe_zone():
    face = (0.70, 0.10, 0.08, 0.12)  # x, y, w, h in 0–1
    box = crop_box(1200, 800, STORY, mode="smart", focal=(0.5, 0.5), faces=[face])
    left, top, right, bottom = box
    cw = right - left
    fx1, fx2 = face[0] * 1200, (face[0] + face[2]) * 1200
    assert left + cw * 0.10 <= fx1 and fx2 <= right - cw * 0.10


def test_subject_near_the_edge_is_flagged_for_stories_not_squares():
    # The subject sits high in a tall image: the story's 25 % top bar covers it.
    data = _scene(size=(800, 1400), subject=(0.5, 0.06), radius=30)
    square = Target("square", 300, 300, safe=(0.05, 0.05, 0.05, 0.05))
    story = Target("story", 270, 480, safe=(0.25, 0.15, 0.10, 0.10))
    results = {
        r.key: r
        for r in render_pack(data, [square, story], mode="centre", fmt="png", focal=(0.5, 0.06))
    }
    assert any("safe zone" in f for f in results["story"].flags)
    story_smart = render_pack(
        data,
        [Target("story", 270, 480, safe=(0.25, 0.15, 0.10, 0.10))],
        mode="smart",
        fmt="png",
        focal=(0.5, 0.5),
    )[0]
    assert not any("safe zone" in f for f in story_smart.flags)
    square_smart = render_pack(data, [square], mode="smart", fmt="png", focal=(0.5, 0.06))[0]
    assert not any("safe zone" in f for f in square_smart.flags)


def test_oversized_output_is_brought_under_the_platform_limit():
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 255, size=(600, 600, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, "PNG")
    first = render_pack(buf.getvalue(), [Target("t", 600, 600)], fmt="jpeg", quality=95)[0]
    limit = int(len(first.data) * 0.6)
    [r] = render_pack(
        buf.getvalue(), [Target("t", 600, 600, max_bytes=limit)], fmt="jpeg", quality=95
    )
    assert len(r.data) <= limit
    assert r.quality < 95
    assert any("Quality lowered" in f for f in r.flags)


def test_too_small_sources_are_flagged():
    yt = get_format("youtube-thumbnail")
    target = Target(yt.key, yt.width, yt.height, min_width=yt.min_width, min_height=yt.min_height)
    [r] = render_pack(_scene(size=(400, 300)), [target], mode="centre", fmt="jpeg")
    assert any("Too small" in f for f in r.flags)


def test_jpeg_is_decoded_once_at_a_reduced_scale():
    data = _scene(size=(4000, 3000), fmt="JPEG")
    img = decode_for_targets(data, [Target("small", 400, 300)], mode="centre")
    assert img.width <= 2000 and img.info["source_size"] == (4000, 3000)
    big = decode_for_targets(data, [Target("big", 3000, 3000)], mode="centre")
    assert big.size == (4000, 3000)


def test_reduced_decode_gives_the_same_crop_geometry():
    data = _scene(size=(4000, 3000), subject=(0.8, 0.3), radius=150, fmt="JPEG")
    [r] = render_pack(data, [Target("small", 400, 300)], mode="smart", fmt="png", focal=(0.8, 0.3))
    cx, cy = _red_centroid(r.data)
    assert abs(cx - 0.8) < 0.05 and abs(cy - 0.3) < 0.05


def test_bad_options_are_refused():
    with pytest.raises(InvalidInput):
        render_pack(_scene(), [], fmt="png")
    with pytest.raises(InvalidInput):
        render_pack(_scene(), [SQUARE], mode="stretch")
    with pytest.raises(InvalidInput):
        render_pack(b"not an image", [SQUARE])


def test_text_near_the_bottom_is_flagged_for_stories_not_for_fit_squares():
    # A caption low in a tall image: inside a story's bottom bar (15 %).
    caption = (0.1, 0.85, 0.8, 0.06)
    data = _scene(size=(1080, 1920), subject=(0.5, 0.5))
    story = Target("story", 270, 480, safe=(0.25, 0.15, 0.10, 0.10))
    square = Target("square", 300, 300, safe=(0.05, 0.05, 0.05, 0.05))
    [s] = render_pack(data, [story], mode="centre", fmt="png", text=[caption])
    assert any("Text in the image" in f for f in s.flags)
    [c] = render_pack(data, [square], mode="centre", fmt="png", text=[caption])
    assert not any("Text" in f for f in c.flags)  # the square crop cuts the caption away
    [f] = render_pack(data, [square], mode="fit", fmt="png", text=[caption])
    assert not any("Text" in f for f in f.flags)  # letterboxed: well inside the square


def test_text_is_found_in_a_picture_with_a_caption():
    from PIL import ImageDraw, ImageFont

    from providers.local.text_detect import detect_text, is_available

    if not is_available():
        pytest.fail("the text detector's model package is not installed (requirements-weights.txt)")
    img = Image.new("RGB", (1200, 800), (200, 220, 235))
    draw = ImageDraw.Draw(img)
    draw.text((80, 40), "SUMMER SALE 50%", fill=(20, 20, 20), font=ImageFont.load_default(size=64))
    draw.ellipse((500, 300, 700, 500), fill=(250, 180, 60))
    [box] = detect_text(img)
    assert box["x"] < 0.1 and box["y"] < 0.1 and 0.35 < box["w"] < 0.6 and box["h"] < 0.15
    from skimage import data as samples

    assert detect_text(Image.fromarray(samples.astronaut())) == []
