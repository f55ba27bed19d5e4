from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from providers.base import Capability, InvalidInput
from providers.local import inpaint

from .conftest import decode, mask_png, png, run


def outside(mask: np.ndarray, margin: int) -> np.ndarray:
    """Pixels farther than ``margin`` px from the mask."""
    kernel = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    return cv2.dilate(mask, kernel) == 0


def test_it_removes_an_object_and_leaves_the_rest_untouched(engine, coffee):
    mask_bytes, mask = mask_png(coffee.shape[:2], lambda m: cv2.circle(m, (300, 190), 60, 255, -1))

    result = run(engine, Capability.ERASE, image=png(coffee), mask=mask_bytes)

    out = np.asarray(decode(result.outputs[0].data).convert("RGB"))
    assert out.shape == coffee.shape
    assert result.meta["method"] == "patchmatch"
    hole = mask > 0
    assert np.abs(out[hole].astype(int) - coffee[hole]).mean() > 20
    keep = outside(mask, inpaint.GROW + 1)
    assert np.array_equal(out[keep], coffee[keep])


def test_it_erases_a_scribble_with_telea_and_restores_the_photo(engine, chelsea):
    scribbled = chelsea.copy()
    mask_bytes, mask = mask_png(
        chelsea.shape[:2],
        lambda m: cv2.polylines(m, [np.array([[40, 40], [200, 260], [420, 60]])], False, 255, 3),
    )
    scribbled[mask > 0] = (255, 0, 255)

    result = run(engine, Capability.INPAINT, image=png(scribbled), mask=mask_bytes)

    out = np.asarray(decode(result.outputs[0].data).convert("RGB"))
    assert result.meta["method"] == "telea"
    line = mask > 0
    before = np.abs(scribbled[line].astype(int) - chelsea[line]).mean()
    after = np.abs(out[line].astype(int) - chelsea[line]).mean()
    assert after < before / 5
    keep = outside(mask, inpaint.GROW + 1)
    assert np.array_equal(out[keep], scribbled[keep])


def test_it_falls_back_to_telea_and_says_so(engine, coffee, monkeypatch):
    monkeypatch.setattr(inpaint, "patchmatch_module", lambda: None)
    mask_bytes, mask = mask_png(
        coffee.shape[:2], lambda m: cv2.rectangle(m, (250, 150), (350, 230), 255, -1)
    )

    result = run(engine, Capability.ERASE, image=png(coffee), mask=mask_bytes)

    assert result.meta["method"] == "telea"
    assert "PatchMatch is not available" in result.meta["fallback"]
    out = np.asarray(decode(result.outputs[0].data).convert("RGB"))
    assert np.abs(out[mask > 0].astype(int) - coffee[mask > 0]).mean() > 10


def test_it_reads_a_mask_painted_on_a_transparent_layer(engine, coffee):
    layer = np.zeros((*coffee.shape[:2], 4), dtype=np.uint8)
    layer[100:140, 100:180] = (255, 0, 0, 255)  # red strokes, opaque only where painted

    result = run(
        engine, Capability.ERASE, image=png(coffee), mask=png(Image.fromarray(layer, "RGBA"))
    )

    out = np.asarray(decode(result.outputs[0].data).convert("RGB"))
    assert not np.array_equal(out[100:140, 100:180], coffee[100:140, 100:180])
    assert np.array_equal(out[200:, 300:], coffee[200:, 300:])


def test_it_refuses_an_empty_mask(engine, coffee):
    with pytest.raises(InvalidInput, match="empty"):
        run(
            engine,
            Capability.ERASE,
            image=png(coffee),
            mask=png(np.zeros(coffee.shape[:2], np.uint8)),
        )


def test_outpaint_extends_the_canvas_and_keeps_the_original(engine, coffee):
    src = coffee[::2, ::2].copy()  # 300×200 keeps the test fast
    h, w = src.shape[:2]

    result = run(
        engine,
        Capability.OUTPAINT,
        image=png(src),
        params={"left": 60, "down": 40, "method": "patchmatch"},
    )

    out = np.asarray(decode(result.outputs[0].data).convert("RGB"))
    assert out.shape == (h + 40, w + 60, 3)
    assert result.outputs[0].width == w + 60 and result.outputs[0].height == h + 40
    assert np.array_equal(out[:h, 60:], src)
    new_area = out[:, :60]
    # Filled with texture from the photo, not a flat colour or black.
    assert new_area.std() > 10 and new_area.mean() > 30
    assert "repeat" in result.meta["note"]
    assert result.meta["added"] == {"left": 60, "right": 0, "up": 0, "down": 40}


def test_outpaint_needs_a_side(engine, coffee):
    with pytest.raises(InvalidInput, match="at least one side"):
        run(engine, Capability.OUTPAINT, image=png(coffee))
