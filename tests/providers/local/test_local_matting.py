from __future__ import annotations

import numpy as np
import pytest

from providers.base import Capability, InvalidInput

from .conftest import decode, png, run


def test_it_makes_the_astronaut_photo_background_transparent(engine, astronaut):
    result = run(engine, Capability.REMOVE_BACKGROUND, image=png(astronaut))

    out = result.outputs[0]
    assert out.content_type == "image/png"
    img = decode(out.data)
    assert img.mode == "RGBA"
    assert img.size == (512, 512) == (out.width, out.height)
    alpha = np.asarray(img.getchannel("A"))
    # The plain studio wall at the top right is background, the face is subject.
    assert alpha[10:60, 440:500].mean() < 20
    assert alpha[90:130, 200:250].mean() > 235
    assert 0.2 < result.meta["subject_coverage"] < 0.8
    # Colour is kept where the subject is opaque.
    rgb = np.asarray(img.convert("RGB")).astype(int)
    assert np.abs(rgb[90:130, 200:250] - astronaut[90:130, 200:250]).max() == 0


def test_it_cuts_a_subject_off_a_plain_backdrop(engine, subject_scene):
    scene, inside = subject_scene
    result = run(engine, Capability.REMOVE_BACKGROUND, image=png(scene))

    alpha = np.asarray(decode(result.outputs[0].data).getchannel("A"))
    cut = alpha > 127
    iou = (cut & inside).sum() / (cut | inside).sum()
    assert iou > 0.9
    assert alpha[~inside].mean() < 15


def test_it_can_return_only_the_mask_as_webp(engine, subject_scene):
    scene, inside = subject_scene
    result = run(
        engine,
        Capability.REMOVE_BACKGROUND,
        image=png(scene),
        output_format="webp",
        params={"output": "mask", "refine": "false", "feather": 0},
    )

    out = result.outputs[0]
    assert out.content_type == "image/webp"
    mask = np.asarray(decode(out.data).convert("L"))
    assert mask.shape == inside.shape
    assert mask[inside].mean() > 200 and mask[~inside].mean() < 30


def test_it_refuses_jpeg_which_has_no_transparency(engine, subject_scene):
    with pytest.raises(InvalidInput, match="png, webp"):
        run(engine, Capability.REMOVE_BACKGROUND, image=png(subject_scene[0]), output_format="jpeg")
