"""Edit masks: reading and checking an uploaded or painted mask, growing and feathering it.

A mask is white where the picture should change. The mask editor always sends it at the
image's native size; an uploaded mask of another size is refused (not stretched): a mask
made for another picture or another crop would change the wrong pixels, which is worse
than asking again.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

# Mask pixels at or above this grey level count as "change".
THRESHOLD = 128
# A pixel whose channels differ by more than this is coloured, not grey.
COLOUR_SPREAD = 48
# Share of coloured pixels above which a file is a picture, not a mask.
COLOURED_SHARE = 0.02
MAX_GROW = 200
MAX_FEATHER = 100


def mask_array(data: bytes) -> np.ndarray:
    """The mask's grey levels (``uint8``, h×w). Raises ``ValidationError`` for a file that is
    not an image or is a colour picture rather than a black-and-white mask.

    A mask drawn on a transparent layer counts where it is opaque (its alpha), in any colour.
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or (
                img.mode == "P" and "transparency" in img.info
            )
            if has_alpha:
                la = np.asarray(img.convert("LA"))
                if int(la[..., 1].min()) < 255:
                    return la[..., 1].copy()
            rgb = np.asarray(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            "The mask is not an image we can read: upload a PNG, JPEG or WebP.", code="not_image"
        ) from exc
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    if float((spread > COLOUR_SPREAD).mean()) > COLOURED_SHARE:
        raise ValidationError(
            "The mask must be black and white (white marks the area to change); this file "
            "is a colour picture.",
            code="colour",
        )
    return np.asarray(Image.fromarray(rgb).convert("L")).copy()


def check_mask(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """Decode and check a mask for an image of ``size`` (w, h); returns its grey levels.

    Refuses a non-image, a colour picture, a mask of another size and an empty mask.
    """
    mask = mask_array(data)
    height, width = mask.shape[:2]
    if (width, height) != tuple(size):
        raise ValidationError(
            f"The mask is {width}×{height} px but the image is {size[0]}×{size[1]} px: a mask "
            "must be the image's size. Paint it here, or export it at the image's size.",
            code="size",
        )
    if int(mask.max()) < THRESHOLD:
        raise ValidationError(
            "The mask is empty: paint the area to change (white) first.", code="empty"
        )
    return mask


def grow_and_feather(mask: np.ndarray, *, grow: int = 0, feather: int = 0) -> np.ndarray:
    """``mask`` grown outwards by ``grow`` px (round brush) and its edge softened over
    ``feather`` px. Both in the image's own pixels."""
    out = mask
    if grow > 0:
        k = 2 * int(grow) + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        out = cv2.dilate(out, kernel)
    if feather > 0:
        # Two sigmas either side of the edge cover the feather width.
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=max(0.5, feather / 2.0))
    return out


def encode_mask(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mask, "L").save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def prepare_mask(data: bytes, params: dict) -> bytes:
    """The stored mask as the provider gets it: grey levels, grown and feathered by the
    job's ``mask_grow`` and ``mask_feather`` (the pipeline's ``prepare_mask`` hook)."""
    grow = int(params.pop("mask_grow", 0) or 0)
    feather = int(params.pop("mask_feather", 0) or 0)
    mask = mask_array(data)
    return encode_mask(grow_and_feather(mask, grow=grow, feather=feather))
