"""Fixtures for the offline engine: real photos from scikit-image and synthetic scenes.

The photos ship inside the scikit-image wheel (see the ``skimage.data`` docstrings for
their sources and licences), so they are available without a network.
"""

from __future__ import annotations

import importlib.resources
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from providers.base import Capability, ProviderRequest
from providers.local import LocalEngine


def photo_bytes(name: str) -> bytes:
    return (importlib.resources.files("skimage.data") / f"{name}.png").read_bytes()


def photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(photo_bytes(name))).convert("RGB")).copy()


def photo_image(name: str) -> Image.Image:
    """A bundled photo by name, whatever its file type (the rocket is a JPEG)."""
    folder = importlib.resources.files("skimage.data")
    for ext in ("png", "jpg"):
        path = folder / f"{name}.{ext}"
        if path.is_file():
            return Image.open(io.BytesIO(path.read_bytes())).convert("RGB")
    raise FileNotFoundError(name)


def png(arr: np.ndarray | Image.Image) -> bytes:
    img = arr if isinstance(arr, Image.Image) else Image.fromarray(arr)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def mask_png(shape: tuple[int, int], draw) -> tuple[bytes, np.ndarray]:
    """Return a mask (PNG bytes and the array) drawn by ``draw(arr)`` on black."""
    arr = np.zeros(shape, dtype=np.uint8)
    draw(arr)
    return png(arr), arr


@pytest.fixture(scope="session")
def engine() -> LocalEngine:
    return LocalEngine()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return photo("astronaut")


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return photo("coffee")


@pytest.fixture(scope="session")
def chelsea() -> np.ndarray:
    return photo("chelsea")


@pytest.fixture(scope="session")
def subject_scene() -> tuple[np.ndarray, np.ndarray]:
    """A textured, shaded object on a plain, slightly noisy studio backdrop.

    Returns the RGB image and the boolean mask of the object.
    """
    h, w = 360, 480
    rng = np.random.default_rng(7)
    img = np.empty((h, w, 3), dtype=np.float32)
    img[:] = (226, 228, 232)
    img += rng.normal(0, 2.0, size=img.shape)
    obj = np.zeros((h, w), dtype=np.uint8)
    cv2.ellipse(obj, (300, 190), (95, 120), 0, 0, 360, 255, -1)
    inside = obj > 0
    # Shading from a light at the top left plus a fabric-like stripe texture.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.55 + 0.45 * np.clip(1 - np.hypot(xx - 250, yy - 120) / 220, 0, 1)
    stripes = 0.9 + 0.1 * np.sin(xx / 6.0)
    colour = np.array([190, 45, 40], dtype=np.float32)
    img[inside] = colour * (shade * stripes)[inside][:, None]
    return np.clip(img, 0, 255).astype(np.uint8), inside


def run(engine: LocalEngine, capability: Capability, **kwargs):
    return engine.run(ProviderRequest(capability=capability, **kwargs))
