"""Measures of how well a fill blends in, shared by tests and ``bench/quality.py``.

Both compare a filled hole with the ring of untouched pixels around it:

* :func:`seam_score` — the mean gradient magnitude on a thin band straddling the hole's
  edge, divided by the mean of the gradient magnitudes just outside (the ring) and just
  inside (the fill's outer band). About 1 means the edge is no busier than either side
  of it; a visible seam scores well above 1. (Dividing by the ring alone would reward a
  blur: a smeared fill has a calm edge because it has no texture at all.)
* :func:`ring_colour_distance` — CIE76 ΔE between the mean L*a*b* colour of the fill's
  outer part and that of the ring: a fill of the wrong colour scores high.
"""

from __future__ import annotations

import cv2
import numpy as np


def _gradient(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt((gx * gx + gy * gy).sum(axis=2))


def _bands(hole: np.ndarray, ring: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hole = hole.astype(bool)
    out_dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3)
    in_dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    edge = (hole & (in_dist <= 2)) | (~hole & (out_dist <= 2))
    around = ~hole & (out_dist > 3) & (out_dist <= 3 + ring)
    inner = hole & (in_dist > 3) & (in_dist <= 3 + ring)
    return edge, around, inner


def seam_score(rgb: np.ndarray, hole: np.ndarray, *, ring: int = 12) -> float:
    """Edge gradient over the gradient on either side for the filled ``hole`` of ``rgb``
    (lower is better)."""
    edge, around, inner = _bands(hole, ring)
    grad = _gradient(rgb)
    sides = 0.5 * (float(grad[around].mean()) + float(grad[inner].mean()))
    return float(grad[edge].mean() / max(sides, 1e-3))


def ring_colour_distance(rgb: np.ndarray, hole: np.ndarray, *, ring: int = 12) -> float:
    """ΔE between the fill's outer ``ring`` px and the ``ring`` px around the hole."""
    _, around, inner = _bands(hole, ring)
    inner = inner | (hole & (cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3) <= 3))
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return float(np.linalg.norm(lab[inner].mean(axis=0) - lab[around].mean(axis=0)))
