"""Social packs: one source image rendered to many platform formats, fast.

What makes it fast on a small CPU (measured, see ``bench/social_pack.py``):
- decode once, and for JPEGs let libjpeg decode at a reduced scale (``Image.draft``) that
  is still large enough for the most demanding rendition;
- resize each rendition straight from its crop box (``resize(box=…, reducing_gap=…)``:
  a cheap integer reduce first, then a small LANCZOS step), never from a full-size copy;
- encode renditions in parallel threads: Pillow releases the GIL while resizing and
  encoding, and encoding is most of the work.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from media import FORMATS, encode

from ..base import (
    Capability,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderOutput,
    ProviderResult,
)

CROP_MODES = ("smart", "centre", "fit")
# key → (Pillow format, MIME type, extension), from the shared format table.
OUTPUT_FORMATS = {f.key: (f.pil, f.content_type, f.extension) for f in FORMATS.values()}
QUALITY_STEPS = (10, 20, 30, 40)  # how far quality may drop to meet a file-size limit
MIN_QUALITY = 35


@dataclass(frozen=True)
class Target:
    """One rendition to make: pixel size, safe-zone fractions, file rules."""

    key: str
    width: int
    height: int
    safe: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # top, bottom, left, right
    min_width: int = 0
    min_height: int = 0
    max_bytes: int = 0

    def safe_box(self) -> tuple[float, float, float, float]:
        top, bottom, left, right = self.safe
        return (
            self.width * left,
            self.height * top,
            self.width * (1 - right),
            self.height * (1 - bottom),
        )


@dataclass
class Rendition:
    key: str
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    quality: int | None
    crop: tuple[float, float, float, float]  # in source pixels (left, top, right, bottom)
    flags: list[str] = field(default_factory=list)
    guide: bytes | None = None  # the same rendition with the safe zone drawn on it


# ----------------------------------------------------------------------------- geometry


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def crop_box(
    src_w: int,
    src_h: int,
    target: Target,
    *,
    mode: str,
    focal: tuple[float, float] = (0.5, 0.5),
    faces: Sequence[tuple[float, float, float, float]] = (),
) -> tuple[float, float, float, float]:
    """The source rectangle (left, top, right, bottom) a cover crop takes for ``target``.

    ``centre`` centres it. ``smart`` places the focal point (0–1 coordinates) at the middle
    of the target's safe zone and, when all ``faces`` (x, y, w, h in 0–1) fit inside the
    safe zone, shifts the window so they all do. Windows never leave the image.
    """
    aspect = target.width / target.height
    if src_w / src_h > aspect:
        cw, ch = src_h * aspect, float(src_h)
    else:
        cw, ch = float(src_w), src_w / aspect
    if mode == "centre":
        left, top = (src_w - cw) / 2, (src_h - ch) / 2
        return (left, top, left + cw, top + ch)
    s_top, s_bottom, s_left, s_right = target.safe
    fx, fy = focal[0] * src_w, focal[1] * src_h
    # Where the safe zone's centre sits inside the window, as a fraction of the window.
    cx = s_left + (1 - s_left - s_right) / 2
    cy = s_top + (1 - s_top - s_bottom) / 2
    left = fx - cw * cx
    top = fy - ch * cy
    if faces:
        x1 = min(f[0] for f in faces) * src_w
        y1 = min(f[1] for f in faces) * src_h
        x2 = max(f[0] + f[2] for f in faces) * src_w
        y2 = max(f[1] + f[3] for f in faces) * src_h
        # Window positions that keep the faces' bounding box inside the safe zone.
        lo_l, hi_l = x2 - cw * (1 - s_right), x1 - cw * s_left
        lo_t, hi_t = y2 - ch * (1 - s_bottom), y1 - ch * s_top
        if lo_l <= hi_l:
            left = _clamp(left, lo_l, hi_l)
        if lo_t <= hi_t:
            top = _clamp(top, lo_t, hi_t)
    left = _clamp(left, 0, src_w - cw)
    top = _clamp(top, 0, src_h - ch)
    return (left, top, left + cw, top + ch)


def _subject_outside_safe_zone(
    target: Target,
    box: tuple[float, float, float, float],
    src_size: tuple[int, int],
    focal: tuple[float, float],
    faces: Sequence[tuple[float, float, float, float]],
) -> bool:
    """True when the focal point (or a face's centre) lands outside the safe zone."""
    left, top, right, bottom = box
    sx, sy = target.width / (right - left), target.height / (bottom - top)
    sl, st, sr, sb = target.safe_box()
    w, h = src_size
    points = [(focal[0] * w, focal[1] * h)]
    # Face centres, not whole boxes: a forehead in the margin is not a problem, an eye is.
    for fx, fy, fw, fh in faces:
        points.append(((fx + fw / 2) * w, (fy + fh / 2) * h))
    for px, py in points:
        rx, ry = (px - left) * sx, (py - top) * sy
        if not (sl - 0.5 <= rx <= sr + 0.5 and st - 0.5 <= ry <= sb + 0.5):
            return True
    return False


# How much of a face may fall outside the crop before the rendition is flagged: a few
# per cent is a trimmed chin or hairline; more is a face sliced by the frame.
FACE_CUT_TOLERANCE = 0.08


def _face_cut_by_crop(
    box: tuple[float, float, float, float],
    src_size: tuple[int, int],
    faces: Sequence[tuple[float, float, float, float]],
) -> bool:
    """True when a face box is partly inside the crop and partly cut off by its edge.

    A face entirely outside is caught by the safe-zone check (its centre is outside); a
    very wide crop (a 5.9:1 LinkedIn cover from a portrait) can keep a face's centre in
    the safe zone while showing only a sliver of it, and that is just as unusable.
    """
    left, top, right, bottom = box
    w, h = src_size
    for fx, fy, fw, fh in faces:
        x1, y1, x2, y2 = fx * w, fy * h, (fx + fw) * w, (fy + fh) * h
        area = (x2 - x1) * (y2 - y1)
        if area <= 0:
            continue
        ix = max(0.0, min(x2, right) - max(x1, left))
        iy = max(0.0, min(y2, bottom) - max(y1, top))
        shown = ix * iy / area
        if 0 < shown < 1 - FACE_CUT_TOLERANCE:
            return True
    return False


def _text_outside_safe_zone(
    target: Target,
    box: tuple[float, float, float, float],
    src_size: tuple[int, int],
    text: Sequence[tuple[float, float, float, float]],
    *,
    fit: bool = False,
) -> bool:
    """True when a detected text region shown in the rendition leaves its safe zone."""
    w, h = src_size
    left, top, right, bottom = box
    if fit:
        # The whole image is letterboxed into the target: map through the fit scale.
        scale = min(target.width / w, target.height / h)
        ox, oy = (target.width - w * scale) / 2, (target.height - h * scale) / 2
        sx = sy = scale
        left, top = -ox / scale, -oy / scale
    else:
        sx, sy = target.width / (right - left), target.height / (bottom - top)
    sl, st, sr, sb = target.safe_box()
    for tx, ty, tw, th in text:
        x1, y1 = (tx * w - left) * sx, (ty * h - top) * sy
        x2, y2 = ((tx + tw) * w - left) * sx, ((ty + th) * h - top) * sy
        if x2 <= 0 or y2 <= 0 or x1 >= target.width or y1 >= target.height:
            continue  # cropped away: not in this rendition
        if x1 < sl - 0.5 or y1 < st - 0.5 or x2 > sr + 0.5 or y2 > sb + 0.5:
            return True
    return False


# ----------------------------------------------------------------------------- decoding


def decode_for_targets(data: bytes, targets: Sequence[Target], *, mode: str) -> Image.Image:
    """Decode ``data`` once, as small as the most demanding target allows.

    For JPEG sources libjpeg decodes at 1/2, 1/4 or 1/8 scale when that still leaves enough
    pixels for every crop; other formats decode in full.
    """
    try:
        img = Image.open(io.BytesIO(data))
        src_w, src_h = img.size
        if img.format == "JPEG" and targets:
            need = 0.0
            for t in targets:
                aspect = t.width / t.height
                if mode == "fit":
                    scale = min(t.width / src_w, t.height / src_h)
                else:
                    cw = min(src_w, src_h * aspect)
                    scale = t.width / cw
                need = max(need, scale)
            if need < 1:
                img.draft("RGB", (math.ceil(src_w * need), math.ceil(src_h * need)))
        img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("The source image could not be read.") from exc
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "RGBA"):
        has_alpha = img.mode in ("LA", "PA") or "transparency" in img.info
        img = img.convert("RGBA" if has_alpha else "RGB")
    img.info["source_size"] = (src_w, src_h)
    return img


# ----------------------------------------------------------------------------- rendering


def _fit(img: Image.Image, target: Target, pad: str) -> Image.Image:
    """The whole image inside ``target``, padded with a blurred cover of itself or a colour."""
    scale = min(target.width / img.width, target.height / img.height)
    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    inner = img.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if pad == "blur":
        # Blur a small cover crop and stretch it: cheap, and the blur hides the stretch.
        small = ImageOps.fit(
            img, (max(1, target.width // 8), max(1, target.height // 8)), Image.Resampling.BILINEAR
        )
        canvas = small.filter(ImageFilter.GaussianBlur(3)).resize(
            (target.width, target.height), Image.Resampling.BILINEAR
        )
    else:
        canvas = Image.new(img.mode, (target.width, target.height), pad)
    canvas.paste(inner, ((target.width - w) // 2, (target.height - h) // 2))
    return canvas


def _encode(img: Image.Image, fmt: str, quality: int) -> bytes:
    return encode(img, fmt, quality=quality, optimize=True)


def _guide(img: Image.Image, target: Target) -> bytes:
    """A preview with everything outside the safe zone dimmed and the zone outlined."""
    base = img.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 110))
    sl, st, sr, sb = (round(v) for v in target.safe_box())
    ImageDraw.Draw(overlay).rectangle((sl, st, sr - 1, sb - 1), fill=(0, 0, 0, 0))
    out = Image.alpha_composite(base, overlay)
    ImageDraw.Draw(out).rectangle(
        (sl, st, sr - 1, sb - 1), outline=(255, 214, 0, 255), width=max(2, target.width // 300)
    )
    buf = io.BytesIO()
    out.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def render_one(
    img: Image.Image,
    target: Target,
    *,
    mode: str,
    fmt: str,
    quality: int,
    focal: tuple[float, float],
    faces: Sequence[tuple[float, float, float, float]] = (),
    text: Sequence[tuple[float, float, float, float]] = (),
    pad: str = "blur",
    guides: bool = False,
) -> Rendition:
    """Render one target from an already decoded image (safe to call from threads)."""
    if mode not in CROP_MODES:
        raise InvalidInput(f"Crop mode must be one of {', '.join(CROP_MODES)}.")
    if fmt not in OUTPUT_FORMATS:
        raise InvalidInput(f"Output format must be one of {', '.join(OUTPUT_FORMATS)}.")
    src_w, src_h = img.info.get("source_size", img.size)
    # Crop geometry is computed in original-source pixels and mapped onto the (possibly
    # reduced) decode, so results do not depend on the decode scale.
    k = img.width / src_w
    flags: list[str] = []
    if mode == "fit":
        box = (0.0, 0.0, float(src_w), float(src_h))
        out = _fit(img, target, pad)
        if src_w < target.min_width and src_h < target.min_height:
            flags.append(
                f"Too small: the source is {src_w}×{src_h}; "
                f"the platform minimum is {target.min_width}×{target.min_height}."
            )
    else:
        box = crop_box(src_w, src_h, target, mode=mode, focal=focal, faces=faces)
        scaled = tuple(v * k for v in box)
        out = img.resize(
            (target.width, target.height), Image.Resampling.LANCZOS, box=scaled, reducing_gap=2.0
        )
        crop_w, crop_h = box[2] - box[0], box[3] - box[1]
        if crop_w < target.min_width or crop_h < target.min_height:
            flags.append(
                f"Too small: only {crop_w:.0f}×{crop_h:.0f} px of the source fit; "
                f"the platform minimum is {target.min_width}×{target.min_height}."
            )
        if _subject_outside_safe_zone(target, box, (src_w, src_h), focal, faces):
            flags.append("Subject falls outside the safe zone: move the focal point or use Fit.")
        elif _face_cut_by_crop(box, (src_w, src_h), faces):
            flags.append(
                "A face is cut off by the crop: move the focal point, use Fit, or skip this format."
            )
    if text and _text_outside_safe_zone(target, box, (src_w, src_h), text, fit=mode == "fit"):
        flags.append(
            "Text in the image falls outside the safe zone, under the platform's interface."
        )
    pil_fmt, content_type, ext = OUTPUT_FORMATS[fmt]
    q = quality
    data = _encode(out, fmt, q)
    if target.max_bytes and len(data) > target.max_bytes:
        if pil_fmt == "PNG":
            flags.append(
                f"PNG is {len(data) / 1e6:.1f} MB, over the {target.max_bytes / 1e6:.0f} MB limit: export as JPEG or WebP."
            )
        else:
            for step in QUALITY_STEPS:
                q = max(MIN_QUALITY, quality - step)
                data = _encode(out, fmt, q)
                if len(data) <= target.max_bytes or q == MIN_QUALITY:
                    break
            if len(data) > target.max_bytes:
                flags.append(
                    f"Still {len(data) / 1e6:.1f} MB at quality {q}: over the platform limit."
                )
            else:
                flags.append(
                    f"Quality lowered to {q} to stay under {target.max_bytes / 1e6:.0f} MB."
                )
    return Rendition(
        key=target.key,
        data=data,
        content_type=content_type,
        extension=ext,
        width=target.width,
        height=target.height,
        quality=None if pil_fmt == "PNG" else q,
        crop=box,
        flags=flags,
        guide=_guide(out, target) if guides else None,
    )


def _needed_scale(src_w: int, src_h: int, target: Target, mode: str) -> float:
    """How much of the source's resolution this target needs (1.0 = all of it)."""
    if mode == "fit":
        return min(target.width / src_w, target.height / src_h)
    cw = min(src_w, src_h * target.width / target.height)
    return target.width / cw


def _pyramid(img: Image.Image, targets: Sequence[Target], *, mode: str) -> list[Image.Image]:
    """The decoded image and the halvings of it that some target can use.

    Resampling cost grows with the source area, so each rendition is resized from the
    smallest level that still has at least its own resolution. ``reduce`` (a box filter)
    makes each halving in a few milliseconds.
    """
    src_w, src_h = img.info.get("source_size", img.size)
    smallest = min(_needed_scale(src_w, src_h, t, mode) for t in targets)
    levels = [img]
    while levels[-1].width / src_w / 2 >= smallest and min(levels[-1].size) >= 64:
        half = levels[-1].reduce(2)
        half.info["source_size"] = (src_w, src_h)
        levels.append(half)
    return levels


def _level_for(levels: list[Image.Image], target: Target, *, mode: str) -> Image.Image:
    src_w, src_h = levels[0].info.get("source_size", levels[0].size)
    need = _needed_scale(src_w, src_h, target, mode)
    chosen = levels[0]
    for level in levels:
        if level.width / src_w >= need:
            chosen = level
    return chosen


def render_pack(
    data: bytes,
    targets: Sequence[Target],
    *,
    mode: str = "smart",
    fmt: str = "webp",
    quality: int = 85,
    focal: tuple[float, float] = (0.5, 0.5),
    faces: Sequence[tuple[float, float, float, float]] = (),
    text: Sequence[tuple[float, float, float, float]] = (),
    pad: str = "blur",
    guides: bool = False,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> list[Rendition]:
    """Decode ``data`` once and render every target, ``workers`` at a time.

    Returns renditions in the order of ``targets``. ``progress(done, total)`` is called
    from the calling thread as renditions finish.
    """
    if not targets:
        raise InvalidInput("Pick at least one format.")
    img = decode_for_targets(data, targets, mode=mode)
    pyramid = _pyramid(img, targets, mode=mode)

    def one(target: Target) -> Rendition:
        return render_one(
            _level_for(pyramid, target, mode=mode),
            target,
            mode=mode,
            fmt=fmt,
            quality=quality,
            focal=focal,
            faces=faces,
            text=text,
            pad=pad,
            guides=guides,
        )

    results: list[Rendition] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for index, rendition in enumerate(pool.map(one, targets), start=1):
            results.append(rendition)
            if progress:
                progress(index, len(targets))
    return results


# ----------------------------------------------------------------------------- engine glue


def _social_model():

    return ModelSpec(
        id="social-pack",
        label="Social pack",
        capabilities=frozenset({Capability.SOCIAL_PACK}),
        params=(
            ParamSpec("targets", "json", required=True, label="Formats"),
            ParamSpec("mode", "enum", default="smart", choices=CROP_MODES, label="Crop"),
            ParamSpec(
                "format", "enum", default="webp", choices=tuple(OUTPUT_FORMATS), label="Format"
            ),
            ParamSpec("quality", "int", default=85, min=1, max=100, label="Quality"),
            ParamSpec("focal_x", "float", default=0.5, min=0, max=1, label="Focal point X"),
            ParamSpec("focal_y", "float", default=0.5, min=0, max=1, label="Focal point Y"),
            ParamSpec("faces", "json", label="Faces"),
            ParamSpec("text", "json", label="Text regions"),
            ParamSpec("pad", "str", default="blur", max=16, label="Padding"),
            ParamSpec("guides", "bool", default=False, label="Safe-zone previews"),
            ParamSpec("name", "str", default="image", max=80, label="File name stem"),
        ),
        requires_image=True,
        output_formats=(),
        max_outputs_per_call=100,
    )


SOCIAL_MODEL = _social_model()


def run_social_pack(request, params: dict, progress=None):
    """LocalEngine handler: render every target, one output per rendition (+ guides)."""

    raw_targets = params["targets"]
    if not isinstance(raw_targets, list) or not raw_targets:
        raise InvalidInput("Pick at least one format.")
    try:
        targets = [
            Target(
                key=str(t["key"]),
                width=int(t["width"]),
                height=int(t["height"]),
                safe=tuple(float(v) for v in t.get("safe", (0, 0, 0, 0))),
                min_width=int(t.get("min_width", 0)),
                min_height=int(t.get("min_height", 0)),
                max_bytes=int(t.get("max_bytes", 0)),
            )
            for t in raw_targets
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("A format in the pack is malformed.") from exc
    pad = params["pad"]
    if pad != "blur" and not (pad.startswith("#") and len(pad) in (4, 7)):
        raise InvalidInput("Padding must be 'blur' or a colour like #ffffff.")
    faces = [tuple(float(v) for v in f) for f in (params.get("faces") or [])]
    text = [tuple(float(v) for v in t) for t in (params.get("text") or [])]
    renditions = render_pack(
        request.image or b"",
        targets,
        mode=params["mode"],
        fmt=params["format"],
        quality=params["quality"],
        focal=(params["focal_x"], params["focal_y"]),
        faces=faces,
        text=text,
        pad=pad,
        guides=params["guides"],
        progress=(
            lambda done, total: progress(int(100 * done / total), f"Rendered {done} of {total}…")
        )
        if progress
        else None,
    )
    stem = params["name"]
    outputs = []
    for r in renditions:
        name = f"{stem}-{r.key}-{r.width}x{r.height}"
        meta = {
            "role": "rendition",
            "format_key": r.key,
            "flags": r.flags,
            "quality": r.quality,
            "crop": [round(v, 1) for v in r.crop],
            "file_name": f"{name}.{r.extension}",
        }
        outputs.append(
            ProviderOutput(
                content_type=r.content_type,
                data=r.data,
                width=r.width,
                height=r.height,
                extension=r.extension,
                meta=meta,
            )
        )
        if r.guide is not None:
            outputs.append(
                ProviderOutput(
                    content_type="image/jpeg",
                    data=r.guide,
                    width=r.width,
                    height=r.height,
                    extension="jpg",
                    meta={
                        "role": "guide",
                        "format_key": r.key,
                        "file_name": f"{name}-safe-zone.jpg",
                    },
                )
            )
    flagged = sum(1 for r in renditions if r.flags)
    return ProviderResult(
        provider="local",
        model="social-pack",
        outputs=outputs,
        meta={"renditions": len(renditions), "flagged": flagged},
    )
