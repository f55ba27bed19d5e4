from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from providers.base import Capability, InvalidInput
from providers.local import focal, inpaint
from providers.local.quality import ring_colour_distance, seam_score

from .conftest import decode, mask_png, photo_image, png, run


def faces(rgb: np.ndarray) -> int:
    return sum(1 for *_box, score in focal.detect_faces_mtcnn(rgb) if score >= 0.9)


def box_mask(shape, box) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255
    return mask


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


def test_it_falls_back_to_the_smooth_fill_and_says_so(engine, coffee, monkeypatch):
    monkeypatch.setattr(inpaint, "patchmatch_module", lambda: None)
    mask_bytes, mask = mask_png(
        coffee.shape[:2], lambda m: cv2.rectangle(m, (250, 150), (350, 230), 255, -1)
    )

    result = run(engine, Capability.ERASE, image=png(coffee), mask=mask_bytes)

    assert result.meta["method"] == "smooth"
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
    # Texture comes only from a strip a tenth of the short side wide along the edges.
    assert result.meta["source_band_px"] <= 20
    assert result.meta["added"] == {"left": 60, "right": 0, "up": 0, "down": 40}


def test_outpaint_needs_a_side(engine, coffee):
    with pytest.raises(InvalidInput, match="at least one side"):
        run(engine, Capability.OUTPAINT, image=png(coffee))


def test_erasing_beside_a_face_never_copies_the_face(astronaut):
    # Erasing the model shuttle right of the astronaut used to paste a second copy of
    # her face into the gap: texture may only come from a band around the hole, and
    # never from a detected face.
    mask = box_mask(astronaut.shape, (345, 0, 475, 285))

    out, meta = inpaint.fill(astronaut, mask)

    assert faces(astronaut) == 1 and faces(out) == 1
    assert meta["faces_avoided"] == 1
    assert 16 <= meta["source_band_px"] <= 96


def test_a_hole_in_a_smooth_sky_gets_a_smooth_fill_of_the_same_colour():
    rocket = np.asarray(photo_image("rocket"))
    mask = box_mask(rocket.shape, (380, 40, 440, 120))  # open evening sky
    hole = cv2.dilate(mask, np.ones((7, 7), np.uint8)) > 0

    out, meta = inpaint.fill(rocket, mask)

    assert meta["method"] == "smooth" and meta["texture_share"] < 0.05
    assert ring_colour_distance(out, hole) < 2.0
    assert seam_score(out, hole) < 1.3
    # Grain like the sky's, not a flat plate of one colour.
    assert 0.3 < out[hole][:, 2].std() < 8


def test_a_hole_in_grass_is_filled_with_texture_from_next_to_it():
    camera = np.asarray(photo_image("camera"))
    mask = box_mask(camera.shape, (225, 300, 410, 512))  # the tripod over the lawn
    hole = cv2.dilate(mask, np.ones((7, 7), np.uint8)) > 0

    out, meta = inpaint.fill(camera, mask)

    assert meta["method"] == "patchmatch" and meta["texture_share"] > 0.5
    grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)
    detail = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.5))
    ring = (cv2.dilate(hole.astype(np.uint8), np.ones((25, 25), np.uint8)) > 0) & ~hole
    # The lawn's fine texture carries on inside the hole (a smear would have none).
    assert detail[hole].mean() > 0.5 * detail[ring].mean()
    assert seam_score(out, hole) < 1.2


def test_outpaint_by_default_continues_the_edges_without_repeating_the_subject(astronaut):
    # Extending by 160 px a side used to copy half her body and the shuttle outwards.
    small = astronaut[::2, ::2].copy()

    out, _alpha, meta = inpaint.outpaint(small, None, left=80, right=80, up=80, down=80)

    assert meta["method"] == "smooth"
    assert out.shape == (416, 416, 3)
    assert np.array_equal(out[80:-80, 80:-80], small)
    # The new border continues the edge colours: its ring next to the photo matches.
    new = np.ones(out.shape[:2], bool)
    new[80:-80, 80:-80] = False
    assert ring_colour_distance(out, new) < 6.0


def test_smooth_fill_interpolates_between_the_edges():
    img = np.tile(np.linspace(0, 200, 64, dtype=np.float32), (32, 1))
    hole = np.zeros(img.shape, bool)
    hole[8:24, 16:48] = True

    filled = inpaint.smooth_fill(img, hole)

    assert np.array_equal(filled[~hole], img[~hole])
    assert np.abs(filled[hole] - img[hole]).max() < 6.0
