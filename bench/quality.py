"""Offline engine quality on real photos, against the baselines, in one run.

Photos: the ones bundled with scikit-image (``skimage.data``; each function's docstring
gives its source and licence), with hand-labelled subject boxes, face points, cut-out
boxes and erase boxes in ``bench/data/quality_labels.json``.

* Upscale: each photo is shrunk ×2 / ×4 (Pillow bicubic) and restored; luma PSNR and
  SSIM of bicubic, Lanczos, the old single-pass FSRCNN ×4 and the engine's default.
* Focal point: share of photos whose point lands in the labelled subject box, with
  the engine's default and with the colour-contrast saliency it used before.
* Cut-out: IoU of the box around the cut-out (alpha > 127) with the labelled box.
* Erase: each labelled box is erased with the engine's default, with OpenCV Telea and
  with the previous filler (PatchMatch copying from anywhere in a region twice the
  hole's size); seam score (edge gradient / ring gradient, 1 ≈ invisible) and ΔE
  between the fill's outer band and the ring around it. Extra faces that appear after
  erasing the flag beside the astronaut, or extending her canvas by 160 px a side.
* Palettes: the highest HSV saturation in any "muted" palette, and how close (ΔE) the
  "vibrant" palette of the cat comes to the median colour of its (olive-green) eyes.

    .venv/bin/python bench/quality.py [--quick]

Last line: RESULT key=value … (dB, ratios, ΔE, seconds per megapixel, milliseconds).
"""

from __future__ import annotations

import argparse
import colorsys
import importlib.resources
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from providers.base import InvalidInput  # noqa: E402
from providers.local import focal, inpaint, matting, tools, upscale  # noqa: E402
from providers.local.quality import ring_colour_distance, seam_score  # noqa: E402

LABELS = Path(__file__).resolve().parent / "data" / "quality_labels.json"


def load_photo(entry: dict) -> np.ndarray:
    folder = importlib.resources.files("skimage.data")
    for ext in ("png", "jpg"):
        path = folder / f"{entry['source']}.{ext}"
        if path.is_file():
            rgb = np.asarray(Image.open(io.BytesIO(path.read_bytes())).convert("RGB"))
            break
    else:
        raise FileNotFoundError(entry["source"])
    if "crop" in entry:
        x0, y0, x1, y1 = entry["crop"]
        rgb = rgb[y0:y1, x0:x1]
    return np.ascontiguousarray(rgb)


def luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("YCbCr"))[..., 0]


def inside(point: tuple[float, float], box: list[int]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def iou(a: list[int], b: list[int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area else 0.0


# ----------------------------------------------------------------------------- upscale


def bench_upscale(photos: list[tuple[dict, np.ndarray]]) -> dict:
    gains: dict[str, list[float]] = {}
    times: dict[int, list[float]] = {2: [], 4: []}
    print("\n## Upscale (luma PSNR dB / SSIM; photo shrunk with Pillow bicubic)")
    for scale in (2, 4):
        for entry, rgb in photos:
            h, w = rgb.shape[:2]
            h, w = h - h % scale, w - w % scale
            ref = rgb[:h, :w]
            small = Image.fromarray(ref).resize((w // scale, h // scale), Image.Resampling.BICUBIC)
            results = {
                "bicubic": np.asarray(small.resize((w, h), Image.Resampling.BICUBIC)),
                "lanczos": np.asarray(small.resize((w, h), Image.Resampling.LANCZOS)),
            }
            if scale == 4:
                # The previous default: the shipped ×4 network in one pass.
                ycc = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2YCrCb)
                y4 = upscale._fsrcnn_luma(np.ascontiguousarray(ycc[..., 0]), 4)
                cc = cv2.resize(ycc[..., 1:], (w, h), interpolation=cv2.INTER_CUBIC)
                results["fsrcnn_x4_old"] = cv2.cvtColor(np.dstack([y4, cc]), cv2.COLOR_YCrCb2RGB)
            start = time.perf_counter()
            results["default"] = np.asarray(upscale.upscale_fast(small, scale=scale))
            times[scale].append((time.perf_counter() - start) / (w * h / 1e6))
            ref_y = luma(ref)
            line = []
            scores = {}
            for name, out in results.items():
                out_y = luma(out)
                p = peak_signal_noise_ratio(ref_y, out_y, data_range=255)
                s = structural_similarity(ref_y, out_y, data_range=255)
                scores[name] = p
                line.append(f"{name} {p:.2f}/{s:.3f}")
            for base in ("bicubic", "lanczos"):
                gains.setdefault(f"x{scale}_vs_{base}", []).append(scores["default"] - scores[base])
            if scale == 4:
                gains.setdefault("x4_old_vs_lanczos", []).append(
                    scores["fsrcnn_x4_old"] - scores["lanczos"]
                )
            print(f"x{scale} {entry['name']:<10} " + "  ".join(line))
    out = {f"upscale_{k}_db": round(statistics.mean(v), 3) for k, v in gains.items()}
    out["upscale_x2_s_per_mp"] = round(statistics.median(times[2]), 3)
    out["upscale_x4_s_per_mp"] = round(statistics.median(times[4]), 3)
    return out


# ----------------------------------------------------------------------------- focal, cut-out


def bench_focal(photos: list[tuple[dict, np.ndarray]]) -> dict:
    print("\n## Focal point (x, y in px; * = inside the labelled subject box)")
    hits, old_hits, times = [], [], []
    real_available = matting.is_available
    for entry, rgb in photos:
        h, w = rgb.shape[:2]
        img = Image.fromarray(rgb)
        start = time.perf_counter()
        meta = focal.focal_point(img)
        times.append(time.perf_counter() - start)
        point = (meta["focal_point"]["x"] * w, meta["focal_point"]["y"] * h)
        matting.is_available = lambda: False  # the previous saliency, for comparison
        try:
            old = focal.focal_point(img)
        finally:
            matting.is_available = real_available
        old_point = (old["focal_point"]["x"] * w, old["focal_point"]["y"] * h)
        hit, old_hit = inside(point, entry["subject"]), inside(old_point, entry["subject"])
        hits.append(hit)
        old_hits.append(old_hit)
        print(
            f"{entry['name']:<10} {entry['subject_label']:<22} default {meta['method']:<8} "
            f"({point[0]:.0f}, {point[1]:.0f}){'*' if hit else ' '}  "
            f"contrast-only ({old_point[0]:.0f}, {old_point[1]:.0f}){'*' if old_hit else ' '}"
        )
    return {
        "focal_hit_rate": round(sum(hits) / len(hits), 3),
        "focal_hit_rate_contrast_only": round(sum(old_hits) / len(old_hits), 3),
        "focal_ms": round(statistics.median(times) * 1000, 1),
    }


def bench_cutout(photos: list[tuple[dict, np.ndarray]]) -> dict:
    print("\n## Cut-out (IoU of the box around alpha > 127 with the labelled box)")
    scores, times = [], []
    for entry, rgb in photos:
        start = time.perf_counter()
        alpha = matting.alpha_matte(rgb)
        times.append(time.perf_counter() - start)
        ys, xs = np.nonzero(alpha > 127)
        box = (
            [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
            if len(xs)
            else [0, 0, 0, 0]
        )
        scores.append(iou(box, entry["cutout"]))
        print(f"{entry['name']:<10} box {box} labelled {entry['cutout']} IoU {scores[-1]:.3f}")
    return {
        "cutout_iou": round(statistics.mean(scores), 3),
        "cutout_ms": round(statistics.median(times) * 1000, 1),
    }


# ----------------------------------------------------------------------------- erase


def old_fill(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The previous filler: PatchMatch over a region twice the hole's size, any source."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    margin = max(48, int(max(x1 - x0, y1 - y0)))
    x0, y0 = max(0, x0 - margin), max(0, y0 - margin)
    x1, y1 = min(w, x1 + margin), min(h, y1 + margin)
    pm = inpaint.patchmatch_module()
    pm.set_random_seed(0)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    filled = pm.inpaint(crop, hole[y0:y1, x0:x1].astype(np.uint8) * 255, patch_size=3)
    out = rgb.copy()
    out[y0:y1, x0:x1] = filled
    return out


def count_faces(rgb: np.ndarray) -> int:
    return sum(1 for *_box, score in focal.detect_faces_mtcnn(rgb, min_face=20) if score >= 0.9)


def bench_erase(photos: list[tuple[dict, np.ndarray]], *, outpaint: bool) -> dict:
    print("\n## Erase (seam score: edge/ring gradient, 1 ≈ invisible; ΔE fill vs ring)")
    seam: dict[str, list[float]] = {"default": [], "telea": [], "old": []}
    colour: dict[str, list[float]] = {"default": [], "telea": [], "old": []}
    times = []
    extra_faces = {"default": 0, "old": 0}
    for entry, rgb in photos:
        for erase in entry["erase"]:
            mask = np.zeros(rgb.shape[:2], np.uint8)
            x0, y0, x1, y1 = erase["box"]
            mask[y0:y1, x0:x1] = 255
            grown = cv2.dilate(mask, np.ones((2 * inpaint.GROW + 1,) * 2, np.uint8)) > 0
            start = time.perf_counter()
            results = {"default": inpaint.fill(rgb, mask)[0]}
            times.append(time.perf_counter() - start)
            results["telea"] = inpaint.fill(rgb, mask, method="telea")[0]
            results["old"] = old_fill(rgb, grown)
            parts = []
            for name, out in results.items():
                seam[name].append(seam_score(out, grown))
                colour[name].append(ring_colour_distance(out, grown))
                parts.append(f"{name} {seam[name][-1]:.2f}/{colour[name][-1]:.1f}")
                Image.fromarray(out).save(
                    f"/tmp/quality_erase_{entry['name']}_{erase['label']}_{name}.png"
                )
            faces = ""
            if entry["faces"]:
                before = count_faces(rgb)
                for name in extra_faces:
                    extra = max(0, count_faces(results[name]) - before)
                    extra_faces[name] += extra
                    faces += f" extra faces {name}={extra}"
            print(f"{entry['name']:<10} {erase['label']:<8} " + "  ".join(parts) + faces)
    out = {
        "erase_seam_score": round(statistics.mean(seam["default"]), 3),
        "erase_seam_score_telea": round(statistics.mean(seam["telea"]), 3),
        "erase_seam_score_old": round(statistics.mean(seam["old"]), 3),
        "erase_seam_vs_telea": round(
            statistics.mean(seam["default"]) / statistics.mean(seam["telea"]), 3
        ),
        "erase_colour_de": round(statistics.mean(colour["default"]), 2),
        "erase_colour_de_telea": round(statistics.mean(colour["telea"]), 2),
        "erase_colour_de_old": round(statistics.mean(colour["old"]), 2),
        "erase_extra_faces": extra_faces["default"],
        "erase_extra_faces_old": extra_faces["old"],
        "erase_s": round(statistics.median(times), 3),
    }
    if outpaint:
        rgb = next(r for e, r in photos if e["name"] == "astronaut")
        m = 160
        start = time.perf_counter()
        new, _alpha, _meta = inpaint.outpaint(rgb, None, left=m, right=m, up=m, down=m)
        out["outpaint_s"] = round(time.perf_counter() - start, 3)
        canvas = cv2.copyMakeBorder(rgb, m, m, m, m, cv2.BORDER_REFLECT_101)
        hole = np.ones(canvas.shape[:2], bool)
        hole[m:-m, m:-m] = False
        old = old_fill(canvas, hole)
        Image.fromarray(new).save("/tmp/quality_outpaint_default.png")
        Image.fromarray(old).save("/tmp/quality_outpaint_old.png")
        out["outpaint_extra_faces"] = count_faces(new) - 1
        out["outpaint_extra_faces_old"] = count_faces(old) - 1
        print(
            f"outpaint astronaut +{m} px a side: extra faces default "
            f"{out['outpaint_extra_faces']}, old {out['outpaint_extra_faces_old']}"
        )
    return out


# ----------------------------------------------------------------------------- palettes


def _hsv(colour: dict) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(*(v / 255 for v in colour["rgb"]))


def eye_colour(rgb: np.ndarray, points: list) -> np.ndarray:
    """Median colour of the irises: pixels within 22 px of each labelled eye, pupils left out."""
    h, w = rgb.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    near = np.zeros((h, w), bool)
    for x, y in points:
        near |= (xs - x) ** 2 + (ys - y) ** 2 <= 22**2
    pixels = rgb[near].astype(np.float32)
    return np.median(pixels[pixels.max(axis=1) >= 0.3 * 255], axis=0)


def delta_e(a, b) -> float:
    lab = cv2.cvtColor(np.array([[a, b]], dtype=np.float32) / 255.0, cv2.COLOR_RGB2LAB)[0]
    return float(np.linalg.norm(lab[0] - lab[1]))


def bench_palette(photos: list[tuple[dict, np.ndarray]]) -> dict:
    print("\n## Palettes (hex, HSV saturation)")
    muted_max, times, eyes_de = 0.0, [], float("nan")
    for entry, rgb in photos:
        img = Image.fromarray(rgb)
        for mode in tools.PALETTE_MODES:
            start = time.perf_counter()
            try:
                colours = tools.palette(img, count=6, mode=mode)
            except InvalidInput as exc:  # e.g. no vibrant colour in a greyscale photo
                print(f"{entry['name']:<10} {mode:<8} {exc}")
                continue
            times.append(time.perf_counter() - start)
            sats = [_hsv(c)[1] for c in colours]
            if mode == "muted":
                muted_max = max(muted_max, *sats)
            if mode == "vibrant" and entry.get("cat_eyes"):
                eyes = eye_colour(rgb, entry["cat_eyes"])
                eyes_de = min(delta_e(eyes, c["rgb"]) for c in colours)
                print(
                    f"{'':<10} eye colour {eyes.round().astype(int).tolist()}: nearest ΔE {eyes_de:.1f}"
                )
            print(
                f"{entry['name']:<10} {mode:<8} "
                + " ".join(f"{c['hex']}({s:.2f})" for c, s in zip(colours, sats, strict=True))
            )
    return {
        "palette_muted_max_saturation": round(muted_max, 3),
        "palette_vibrant_cat_eyes_de": round(eyes_de, 2),
        "palette_ms": round(statistics.median(times) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow outpaint case")
    args = parser.parse_args()
    labels = json.loads(LABELS.read_text())
    photos = [(entry, load_photo(entry)) for entry in labels["photos"]]
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"(load {os.getloadavg()[0]:.1f}); "
        f"numpy {np.__version__}, opencv {cv2.__version__}, "
        f"onnxruntime {__import__('onnxruntime').__version__}; "
        f"face detector: {'mtcnn' if focal.mtcnn_available() else 'haar'}; "
        f"photos: {', '.join(e['name'] for e, _ in photos)}"
    )
    whole = [(e, r) for e, r in photos if "crop" not in e]
    result: dict = {}
    result.update(bench_upscale(whole))
    result.update(bench_focal(photos))
    result.update(bench_cutout(photos))
    result.update(bench_erase(photos, outpaint=not args.quick))
    result.update(bench_palette(photos))
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
