"""Classic image operations: resize, crop, filters, format conversion and palettes."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from ..base import InvalidInput
from .imaging import normalise_mode

MAX_SIDE = 16384
FILTERS = ("blur", "sharpen", "grayscale", "sepia", "brightness", "contrast", "saturation")
PALETTE_MODES = ("dominant", "vibrant", "muted")


def resize(img: Image.Image, *, width: int | None, height: int | None, mode: str) -> Image.Image:
    """Resize to ``width`` × ``height``.

    ``mode="fit"`` keeps the aspect ratio and fits inside the box (one side may be omitted);
    ``mode="exact"`` stretches to exactly that size.
    """
    if not width and not height:
        raise InvalidInput("Give a width, a height or both.")
    for side in (width, height):
        if side is not None and not 1 <= side <= MAX_SIDE:
            raise InvalidInput(f"Sides must be between 1 and {MAX_SIDE} px.")
    w0, h0 = img.size
    if mode == "exact":
        if not (width and height):
            raise InvalidInput("Exact resize needs both a width and a height.")
        size = (width, height)
    elif mode == "fit":
        scale = min((width or 10**9) / w0, (height or 10**9) / h0)
        size = (max(1, round(w0 * scale)), max(1, round(h0 * scale)))
    else:
        raise InvalidInput("Resize mode must be 'fit' or 'exact'.")
    if size == img.size:
        return img.copy()
    work = img if img.mode in ("RGB", "RGBA", "L", "LA") else img.convert("RGBA")
    return work.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def crop(img: Image.Image, *, x: int, y: int, width: int, height: int) -> Image.Image:
    """Cut the ``width`` × ``height`` box whose top-left corner is (``x``, ``y``)."""
    w0, h0 = img.size
    if width < 1 or height < 1:
        raise InvalidInput("The crop box must be at least 1×1 px.")
    if x < 0 or y < 0 or x + width > w0 or y + height > h0:
        raise InvalidInput(f"The crop box must lie inside the image ({w0}×{h0} px).")
    return img.crop((x, y, x + width, y + height))


def _split_alpha(img: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    if img.mode in ("RGBA", "LA", "PA", "P"):
        rgba = img.convert("RGBA")
        return rgba.convert("RGB"), rgba.getchannel("A")
    return img.convert("RGB"), None


def apply_filter(img: Image.Image, *, name: str, amount: float) -> Image.Image:
    """Apply one named filter.

    ``amount`` means: blur radius in px (blur); strength 0–5 (sharpen); 0–1 blend
    (grayscale, sepia); a factor where 1.0 is unchanged (brightness, contrast, saturation).
    """
    if name not in FILTERS:
        raise InvalidInput(f"Unknown filter {name!r}.")
    rgb, alpha = _split_alpha(img)
    if name == "blur":
        if not 0 < amount <= 100:
            raise InvalidInput("Blur radius must be between 0 and 100 px.")
        out = rgb.filter(ImageFilter.GaussianBlur(radius=amount))
    elif name == "sharpen":
        if not 0 < amount <= 5:
            raise InvalidInput("Sharpen strength must be between 0 and 5.")
        out = rgb.filter(ImageFilter.UnsharpMask(radius=2, percent=int(amount * 100), threshold=2))
    elif name in ("grayscale", "sepia"):
        if not 0 < amount <= 1:
            raise InvalidInput(f"{name.capitalize()} strength must be between 0 and 1.")
        gray = ImageOps.grayscale(rgb)
        full = (
            gray.convert("RGB")
            if name == "grayscale"
            else ImageOps.colorize(
                gray, black=(38, 22, 8), white=(255, 240, 205), mid=(166, 124, 82)
            )
        )
        out = Image.blend(rgb, full, amount)
    else:
        if not 0 <= amount <= 5:
            raise InvalidInput(f"{name.capitalize()} factor must be between 0 and 5.")
        enhancer = {
            "brightness": ImageEnhance.Brightness,
            "contrast": ImageEnhance.Contrast,
            "saturation": ImageEnhance.Color,
        }[name]
        out = enhancer(rgb).enhance(amount)
    if alpha is not None:
        out.putalpha(alpha)
    return out


# Each palette's band in HSV terms (saturation, value 0–1); a colour outside its band
# is never returned. Dominant takes every colour.
PALETTE_BANDS: dict[str, dict[str, tuple[float, float]]] = {
    "dominant": {"saturation": (0.0, 1.0), "value": (0.0, 1.0)},
    "vibrant": {"saturation": (0.45, 1.0), "value": (0.35, 1.0)},
    "muted": {"saturation": (0.0, 0.40), "value": (0.25, 0.85)},
}
PALETTE_MIN_DELTA_E = 14.0  # colours of one palette differ at least this much (CIE76)
# A vibrant colour whose hue lies this close (degrees) to one already chosen counts for
# less, so a small area of another hue (green eyes in brown fur) makes the palette.
_HUE_NEIGHBOUR = 12.0
_HUE_PENALTY = 0.3
_PALETTE_SIDE = 256
_MIN_ALPHA = 8  # pixels more transparent than this carry no colour


def _kmeans(
    pixels: np.ndarray, weights: np.ndarray, k: int, *, iterations: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means with farthest-point seeding (deterministic); returns labels, centres."""
    rng = np.random.default_rng(0)
    centres = [pixels[rng.integers(len(pixels))]]
    dist = np.full(len(pixels), np.inf)
    for _ in range(1, k):
        dist = np.minimum(dist, ((pixels - centres[-1]) ** 2).sum(axis=1))
        centres.append(pixels[int(dist.argmax())])
    c = np.array(centres, dtype=np.float32)
    sq = (pixels**2).sum(axis=1)[:, None]

    def assign(c: np.ndarray) -> np.ndarray:
        return (sq - 2.0 * pixels @ c.T + (c**2).sum(axis=1)[None, :]).argmin(axis=1)

    for _ in range(iterations):
        labels = assign(c)
        total = np.bincount(labels, weights=weights, minlength=k)
        sums = np.stack(
            [np.bincount(labels, weights=weights * pixels[:, j], minlength=k) for j in range(3)],
            axis=1,
        )
        new = np.where(total[:, None] > 0, sums / np.maximum(total, 1e-9)[:, None], c)
        new = new.astype(np.float32)
        done = np.allclose(new, c, atol=0.25)
        c = new
        if done:
            break
    return assign(c), c


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Saturation and value (0–1) of ``rgb`` (N×3, 0–255), as HSV defines them."""
    hi = rgb.max(axis=1)
    lo = rgb.min(axis=1)
    sat = np.where(hi > 0, (hi - lo) / np.maximum(hi, 1e-9), 0.0)
    return sat, hi / 255.0


def _hue(rgb: np.ndarray) -> float:
    """HSV hue of one ``rgb`` colour (0–255), in degrees."""
    r, g, b = (float(v) / 255.0 for v in rgb)
    hi, lo = max(r, g, b), min(r, g, b)
    if hi - lo < 1e-9:
        return 0.0
    if hi == r:
        h = ((g - b) / (hi - lo)) % 6
    elif hi == g:
        h = (b - r) / (hi - lo) + 2
    else:
        h = (r - g) / (hi - lo) + 4
    return 60.0 * h


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor((rgb / 255.0).astype(np.float32)[None], cv2.COLOR_RGB2LAB)[0]


def _ranked(candidate: tuple, chosen: list[tuple[float, int]], rgb: np.ndarray, mode: str) -> float:
    score, _share, index = candidate
    if mode != "vibrant":
        return score
    hue = _hue(rgb[index])
    for _, other in chosen:
        gap = abs(hue - _hue(rgb[other]))
        if min(gap, 360.0 - gap) < _HUE_NEIGHBOUR:
            score *= _HUE_PENALTY
    return score


def palette(img: Image.Image, *, count: int, mode: str) -> list[dict]:
    """Return up to ``count`` colours as ``[{"hex", "rgb", "share"}]``, best first.

    Each mode keeps to its band (``PALETTE_BANDS``): ``dominant`` takes any colour and
    ranks by how much of the picture it covers; ``vibrant`` takes saturated colours
    that are not dark (HSV saturation ≥ 0.45, value ≥ 0.35) and favours rich, bright
    ones; ``muted`` takes greyish mid tones (saturation ≤ 0.40, value 0.25–0.85). Only
    pixels inside the band are clustered (k-means in CIE L*a*b* on a ≤256 px copy),
    so a small band area such as a cat's green eyes is not averaged into the fur.
    Every returned colour is a real pixel colour (the one nearest its cluster's
    centre), so it always lies inside the band, and colours of one palette differ by
    at least ΔE 14. ``share`` is the part of the whole picture the colour stands for.
    Partly transparent pixels count in proportion to their opacity; 16-bit images
    are read at full range. Raises ``InvalidInput`` when no pixel is in the band.
    """
    if not 3 <= count <= 12:
        raise InvalidInput("A palette has between 3 and 12 colours.")
    if mode not in PALETTE_MODES:
        raise InvalidInput(f"Palette mode must be one of {', '.join(PALETTE_MODES)}.")
    thumb = normalise_mode(img).convert("RGBA")
    thumb.thumbnail((_PALETTE_SIDE, _PALETTE_SIDE), Image.Resampling.BILINEAR)
    arr = np.asarray(thumb, dtype=np.float32).reshape(-1, 4)
    arr = arr[arr[:, 3] >= _MIN_ALPHA]
    if len(arr) == 0:
        raise InvalidInput("The image is fully transparent: there are no colours to extract.")
    rgb, weight = arr[:, :3], arr[:, 3] / 255.0
    whole = float(weight.sum())
    sat, val = _hsv(rgb)
    band = PALETTE_BANDS[mode]
    keep = (
        (sat >= band["saturation"][0])
        & (sat <= band["saturation"][1])
        & (val >= band["value"][0])
        & (val <= band["value"][1])
    )
    if not keep.any():
        s_lo, s_hi = band["saturation"]
        v_lo, v_hi = band["value"]
        raise InvalidInput(
            f"The image has no {mode} colours (saturation {s_lo:g}–{s_hi:g}, "
            f"brightness {v_lo:g}–{v_hi:g}): try another palette mode."
        )
    rgb, weight, sat, val = rgb[keep], weight[keep], sat[keep], val[keep]
    lab = _lab(rgb)
    k = min(max(count * 2, 8), 24, len(np.unique(rgb, axis=0)))
    labels, centres = _kmeans(lab, weight, k)
    candidates = []
    for i in range(k):
        members = np.flatnonzero(labels == i)
        if len(members) == 0:
            continue
        share = float(weight[members].sum()) / whole
        nearest = members[((lab[members] - centres[i]) ** 2).sum(axis=1).argmin()]
        if mode == "vibrant":
            score = share**0.5 * float(sat[nearest]) * float(val[nearest])
        else:
            score = share
        candidates.append((score, share, nearest))
    chosen: list[tuple[float, int]] = []
    for min_de in (PALETTE_MIN_DELTA_E, 0.0):  # a second pass fills up when colours are few
        pool = [c for c in candidates if all(c[2] != i for _, i in chosen)]
        while pool and len(chosen) < count:
            pool = [
                c
                for c in pool
                if all(np.linalg.norm(lab[c[2]] - lab[i]) >= min_de for _, i in chosen)
            ]
            if not pool:
                break
            best = max(pool, key=lambda c: _ranked(c, chosen, rgb, mode))
            chosen.append((best[1], best[2]))
            pool.remove(best)
        if len(chosen) == count:
            break
    colours = []
    for share, index in chosen:
        value = [int(round(float(v))) for v in rgb[index]]
        colours.append(
            {
                "hex": "#{:02x}{:02x}{:02x}".format(*value),
                "rgb": value,
                "share": round(share, 4),
            }
        )
    return colours
