from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from providers.base import Capability, InvalidInput

from .conftest import decode, mask_png, png, run


def lch(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return lab[..., 0], np.hypot(lab[..., 1], lab[..., 2]), np.arctan2(lab[..., 2], lab[..., 1])


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % (2 * math.pi)
    return math.degrees(min(d, 2 * math.pi - d))


def circular_mean(h: np.ndarray) -> float:
    return math.atan2(float(np.sin(h).mean()), float(np.cos(h).mean()))


def test_it_turns_the_red_saucer_blue_and_keeps_its_shading(engine, coffee):
    mask_bytes, mask = mask_png(
        coffee.shape[:2], lambda m: cv2.rectangle(m, (60, 250), (230, 350), 255, -1)
    )
    region = mask > 0
    target = "#1e64ff"
    _, _, target_h = lch(np.array([[[0x1E, 0x64, 0xFF]]], dtype=np.uint8))

    result = run(
        engine, Capability.RECOLOR, image=png(coffee), mask=mask_bytes, params={"color": target}
    )

    out = np.asarray(decode(result.outputs[0].data).convert("RGB"))
    assert out.shape == coffee.shape
    l0, c0, h0 = lch(coffee)
    l1, c1, h1 = lch(out)
    before = hue_distance(circular_mean(h0[region]), float(target_h[0, 0]))
    after = hue_distance(circular_mean(h1[region]), float(target_h[0, 0]))
    assert before > 90 and after < 10
    # Lightness (the shading) is kept: small error and the same pattern.
    assert np.abs(l1[region] - l0[region]).mean() < 2.5
    assert np.corrcoef(l1[region], l0[region])[0, 1] > 0.98
    assert np.array_equal(out[~region], coffee[~region])


def test_strength_blends_partially(engine, subject_scene):
    scene, inside = subject_scene
    mask_bytes = png((inside * 255).astype(np.uint8))
    full = run(
        engine, Capability.RECOLOR, image=png(scene), mask=mask_bytes, params={"color": "#00a000"}
    )
    half = run(
        engine,
        Capability.RECOLOR,
        image=png(scene),
        mask=mask_bytes,
        params={"color": "#00a000", "strength": 0.5},
    )

    g_full = np.asarray(decode(full.outputs[0].data))[inside][:, 1].mean()
    g_half = np.asarray(decode(half.outputs[0].data))[inside][:, 1].mean()
    assert scene[inside][:, 1].mean() < g_half < g_full


def test_it_refuses_a_bad_colour(engine, subject_scene):
    scene, inside = subject_scene
    with pytest.raises(InvalidInput, match="hex colour"):
        run(
            engine,
            Capability.RECOLOR,
            image=png(scene),
            mask=png((inside * 255).astype(np.uint8)),
            params={"color": "blueish"},
        )
