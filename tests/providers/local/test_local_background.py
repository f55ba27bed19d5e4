from __future__ import annotations

import cv2
import numpy as np
import pytest

from providers.base import Capability, InvalidInput

from .conftest import decode, png, run


def replace(engine, scene, **params):
    extra = params.pop("extra_images", {})
    result = run(
        engine,
        Capability.REPLACE_BACKGROUND,
        image=png(scene),
        extra_images=extra,
        params=params,
    )
    return np.asarray(decode(result.outputs[0].data).convert("RGB")), result.meta


def test_it_puts_the_subject_on_a_solid_colour(engine, subject_scene):
    scene, inside = subject_scene

    out, meta = replace(engine, scene, color="#204080", harmonize=0, light="none")

    assert out.shape == scene.shape
    assert np.abs(out[:20, :20].astype(int) - (0x20, 0x40, 0x80)).max() <= 1
    core = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    assert np.abs(out[core].astype(int) - scene[core]).mean() < 3
    assert meta["background"] == "color" and meta["light"] == "none"


def test_it_draws_a_gradient_along_the_angle(engine, subject_scene):
    scene, _ = subject_scene

    out, _ = replace(
        engine,
        scene,
        background="gradient",
        color="#000000",
        color2="#ffffff",
        angle=0,
        light="none",
    )

    left, right = out[:40, :10].mean(), out[:40, -10:].mean()
    assert left < 20 and right > 235


def test_it_composites_onto_an_uploaded_background(engine, subject_scene, coffee):
    scene, inside = subject_scene
    bg = cv2.resize(coffee, (scene.shape[1], scene.shape[0]), interpolation=cv2.INTER_AREA)

    out, meta = replace(engine, scene, background="image", extra_images={"background": png(bg)})

    far = cv2.dilate(inside.astype(np.uint8), np.ones((31, 31), np.uint8)) == 0
    assert np.abs(out[far].astype(int) - bg[far]).mean() < 2
    assert meta["background"] == "image"


def test_harmonisation_moves_subject_colour_towards_the_background(engine, subject_scene):
    scene, inside = subject_scene
    core = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0

    plain, _ = replace(engine, scene, color="#1030c0", harmonize=0, light="none")
    matched, _ = replace(engine, scene, color="#1030c0", harmonize=1, light="none")

    def mean_b(rgb):
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[..., 2][core].astype(float).mean()

    # b* falls towards blue; the subject stays recognisably itself (red stays dominant).
    assert mean_b(matched) < mean_b(plain) - 5
    assert matched[core][:, 0].mean() > matched[core][:, 2].mean()


def test_light_direction_brightens_the_lit_side(engine, subject_scene):
    scene, inside = subject_scene
    core = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    xs = np.nonzero(core)[1]
    left_half = core & (np.arange(scene.shape[1])[None, :] < np.median(xs))

    flat, _ = replace(engine, scene, harmonize=0, light="none")
    lit, meta = replace(engine, scene, harmonize=0, light="left", light_strength=0.4)

    assert meta["light"] == "left"
    gain_left = lit[left_half].astype(float).mean() - flat[left_half].astype(float).mean()
    right_half = core & ~left_half
    gain_right = lit[right_half].astype(float).mean() - flat[right_half].astype(float).mean()
    assert gain_left > 3 > -3 > gain_right


def test_auto_light_follows_the_brighter_side_of_the_background(engine, subject_scene):
    scene, _ = subject_scene
    _, meta = replace(
        engine, scene, background="gradient", color="#202020", color2="#f0f0f0", angle=90
    )
    assert meta["light"] == "bottom"


def test_an_image_background_needs_an_upload(engine, subject_scene):
    with pytest.raises(InvalidInput, match="Upload a background"):
        replace(engine, subject_scene[0], background="image")
