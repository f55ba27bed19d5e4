from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from providers.base import Capability
from providers.local import focal

from .conftest import photo_image, png, run

# The astronaut's face spans about x 0.35–0.53, y 0.12–0.34 of the photo.
FACE_CENTRE = (0.44, 0.23)


def test_it_finds_the_astronauts_face(engine, astronaut):
    meta = run(engine, Capability.FOCAL_POINT, image=png(astronaut)).meta

    assert meta["method"] == "faces"
    assert meta["detector"] == "mtcnn"
    point = meta["focal_point"]
    assert abs(point["x"] - FACE_CENTRE[0]) < 0.05 and abs(point["y"] - FACE_CENTRE[1]) < 0.05
    face = meta["faces"][0]
    assert set(face) == {"x", "y", "w", "h", "score"}
    assert 0.12 < face["w"] < 0.3 and face["score"] > 0.9
    json.dumps(meta)  # plain JSON types only


def test_the_haar_cascade_stands_in_without_mtcnn(engine, astronaut, monkeypatch):
    monkeypatch.setattr(focal, "mtcnn_available", lambda: False)

    meta = run(engine, Capability.FOCAL_POINT, image=png(astronaut)).meta

    assert meta["detector"] == "haar" and meta["method"] == "faces"
    assert abs(meta["focal_point"]["x"] - FACE_CENTRE[0]) < 0.06
    assert abs(meta["focal_point"]["y"] - FACE_CENTRE[1]) < 0.06


def test_saliency_finds_an_off_centre_subject(engine):
    img = np.full((600, 900, 3), (205, 212, 220), dtype=np.uint8)
    img = cv2.add(img, np.random.default_rng(1).integers(0, 6, img.shape, dtype=np.uint8))
    cv2.circle(img, (700, 160), 55, (190, 60, 30), -1)

    meta = run(engine, Capability.FOCAL_POINT, image=png(img)).meta

    assert meta["method"] == "saliency" and meta["faces"] == []
    assert abs(meta["focal_point"]["x"] - 700 / 900) < 0.05
    assert abs(meta["focal_point"]["y"] - 160 / 600) < 0.05


@pytest.mark.parametrize(
    ("name", "box"),
    [
        # Hand-labelled subject boxes (x0, y0, x1, y1) as in bench/data/quality_labels.json.
        ("coffee", (170, 10, 425, 260)),  # the cup, not the saucer under it
        ("rocket", (298, 125, 342, 380)),  # the rocket, not the launch lights
        ("chelsea", (120, 60, 360, 280)),  # the cat's face
    ],
)
def test_without_faces_the_point_lands_on_the_foreground_subject(engine, name, box):
    img = photo_image(name)

    meta = run(engine, Capability.FOCAL_POINT, image=png(img)).meta

    assert meta["method"] == "saliency" and meta["saliency"] == "foreground"
    x, y = meta["focal_point"]["x"] * img.width, meta["focal_point"]["y"] * img.height
    assert box[0] <= x <= box[2] and box[1] <= y <= box[3], (x, y)


def test_colour_contrast_stands_in_without_the_foreground_model(engine, monkeypatch):
    monkeypatch.setattr(focal.matting, "is_available", lambda: False)
    img = np.full((600, 900, 3), (205, 212, 220), dtype=np.uint8)
    cv2.circle(img, (700, 160), 55, (190, 60, 30), -1)

    meta = run(engine, Capability.FOCAL_POINT, image=png(img)).meta

    assert meta["method"] == "saliency" and meta["saliency"] == "contrast"
    assert abs(meta["focal_point"]["x"] - 700 / 900) < 0.05


def test_saliency_is_used_when_face_detection_is_off(engine, astronaut):
    meta = run(
        engine, Capability.FOCAL_POINT, image=png(astronaut), params={"detect_faces": False}
    ).meta

    assert meta["method"] == "saliency" and meta["faces"] == []


def test_a_flat_picture_falls_back_to_the_centre(engine):
    meta = run(engine, Capability.FOCAL_POINT, image=png(Image.new("RGB", (320, 200), "#777"))).meta

    assert meta["method"] == "centre"
    assert meta["focal_point"] == {"x": 0.5, "y": 0.5}
