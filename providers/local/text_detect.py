"""Where text is in a picture: PP-OCRv4's text detection network, run on onnxruntime.

Only the detector is used (boxes, not words): enough to warn that a caption or a logo's
lettering would sit under a platform's interface. The model file ships inside the
``rapidocr-onnxruntime`` wheel, which is installed without its dependencies and never
imported. The network outputs a per-pixel text probability (DB, "differentiable
binarization"); boxes are the contours of the thresholded map.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from . import weights

INSTALL_HINT = (
    "Text detection is not installed: pip install --no-deps 'rapidocr-onnxruntime==1.4.4'"
)
LIMIT_SIDE = 960
THRESHOLD = 0.3
BOX_SCORE = 0.7
UNCLIP = 1.6  # the network marks a shrunken core of each text line; grow it back
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def is_available() -> bool:
    directory = weights.find_package_dir("rapidocr_onnxruntime")
    return directory is not None and (directory / "models" / "ch_PP-OCRv4_det_infer.onnx").is_file()


def _session():
    return weights.cached(
        "ppocr-det",
        lambda: weights.onnx_session(
            weights.package_file(
                "rapidocr_onnxruntime",
                "models",
                "ch_PP-OCRv4_det_infer.onnx",
                install_hint=INSTALL_HINT,
            )
        ),
    )


def detect_text(img: Image.Image, *, min_side_fraction: float = 0.01) -> list[dict]:
    """Text boxes as ``[{"x", "y", "w", "h", "score"}]`` in 0–1 units of the image.

    Raises ``ProviderUnavailable`` when the model is not installed.
    """
    rgb = np.asarray(img.convert("RGB"))
    h0, w0 = rgb.shape[:2]
    scale = min(1.0, LIMIT_SIDE / max(h0, w0))
    h = max(32, int(round(h0 * scale / 32)) * 32)
    w = max(32, int(round(w0 * scale / 32)) * 32)
    resized = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    x = (resized.astype(np.float32) / 255.0 - _MEAN) / _STD
    x = x.transpose(2, 0, 1)[None]
    session = _session()
    prob = session.run(None, {session.get_inputs()[0].name: x})[0][0, 0]
    mask = (prob > THRESHOLD).astype(np.uint8)
    # Close small gaps between letters so a line of text becomes one box.
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        bx, by, bw, bh = cv2.boundingRect(contour)
        if min(bw / w, bh / h) < min_side_fraction:
            continue
        score = float(prob[by : by + bh, bx : bx + bw].mean())
        # Lines of text are confident and wider than tall; blobs of texture are not.
        if score < BOX_SCORE or bw < bh:
            continue
        grow = bw * bh * UNCLIP / (2 * (bw + bh))
        bx, by = max(0.0, bx - grow), max(0.0, by - grow)
        bw, bh = min(w - bx, bw + 2 * grow), min(h - by, bh + 2 * grow)
        boxes.append(
            {
                "x": round(bx / w, 4),
                "y": round(by / h, 4),
                "w": round(bw / w, 4),
                "h": round(bh / h, 4),
                "score": round(score, 3),
            }
        )
    boxes.sort(key=lambda b: (b["y"], b["x"]))
    return boxes
