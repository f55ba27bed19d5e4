"""A face sliced by a very wide crop is flagged like a subject outside the safe zone."""

import io

from PIL import Image

from providers.local.social import Target, _face_cut_by_crop, render_pack
from studio.platforms import get_format


def _target(key: str) -> Target:
    f = get_format(key)
    return Target(
        f.key,
        f.width,
        f.height,
        safe=(f.safe.top, f.safe.bottom, f.safe.left, f.safe.right),
        min_width=0,
        min_height=0,
    )


def _portrait() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (800, 1200), (120, 140, 160)).save(buf, "PNG")
    return buf.getvalue()


FACE = (0.3, 0.2, 0.4, 0.3)  # x, y, w, h as fractions: a head-and-shoulders portrait
FOCAL = (0.5, 0.35)


def test_a_linkedin_cover_of_a_portrait_flags_the_sliced_face():
    cover = _target("linkedin-cover")
    [r] = render_pack(_portrait(), [cover], mode="smart", fmt="png", focal=FOCAL, faces=[FACE])
    left, top, right, bottom = r.crop
    assert bottom - top < FACE[3] * 1200  # the band is thinner than the face
    assert any("face is cut off by the crop" in f for f in r.flags), r.flags
    # The face's centre is in the safe zone: this is the cut, not the safe-zone flag.
    assert not any("outside the safe zone" in f for f in r.flags)


def test_a_crop_that_shows_the_whole_face_is_not_flagged():
    square = _target("instagram-square")
    [r] = render_pack(_portrait(), [square], mode="smart", fmt="png", focal=FOCAL, faces=[FACE])
    assert r.flags == []


def test_a_trimmed_hairline_is_tolerated_but_a_sliced_face_is_not():
    box = (0.0, 100.0, 800.0, 900.0)  # left, top, right, bottom in source pixels
    hairline = (0.3, 90 / 1200, 0.4, 300 / 1200)  # 10 of 300 px above the crop
    sliced = (0.3, 40 / 1200, 0.4, 300 / 1200)  # 60 of 300 px above the crop
    assert not _face_cut_by_crop(box, (800, 1200), [hairline])
    assert _face_cut_by_crop(box, (800, 1200), [sliced])
    outside = (0.3, 950 / 1200, 0.4, 200 / 1200)  # wholly below: the safe-zone check's case
    assert not _face_cut_by_crop(box, (800, 1200), [outside])


def test_centre_crops_of_a_portrait_are_flagged_too():
    cover = _target("linkedin-cover")
    [r] = render_pack(_portrait(), [cover], mode="centre", fmt="png", faces=[FACE])
    assert r.flags, "a centre crop that slices the face must not pass as meeting the rules"
