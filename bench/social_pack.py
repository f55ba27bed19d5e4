"""Social pack speed: our renderer against a straightforward Pillow baseline, same run.

The baseline decodes the full JPEG for every rendition, cover-crops with LANCZOS and
encodes WebP q85 with Pillow's defaults, one rendition after another. Ours decodes once at
a reduced JPEG scale, resizes from the crop box and encodes on two threads.

    .venv/bin/python bench/social_pack.py [--repeat 3]

Last line: RESULT speedup=… psnr_delta_db=… pack_12mp_ms=… baseline_12mp_ms=…
pack_24mp_ms=… focal_ms=… peak_rss_mb=…
"""

from __future__ import annotations

import argparse
import io
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from providers.local.social import Target, render_pack  # noqa: E402

# Ten common formats (width, height).
SIZES = [
    ("instagram-square", 1080, 1080),
    ("instagram-portrait", 1080, 1350),
    ("instagram-story", 1080, 1920),
    ("facebook-post", 1200, 630),
    ("facebook-cover", 820, 312),
    ("x-post", 1200, 675),
    ("x-header", 1500, 500),
    ("linkedin-post", 1200, 628),
    ("youtube-thumbnail", 1280, 720),
    ("pinterest-pin", 1000, 1500),
]
TARGETS = [Target(key=k, width=w, height=h) for k, w, h in SIZES]


def synthetic_photo(width: int, height: int, seed: int = 1) -> bytes:
    """A photo-like JPEG: smooth gradients, shapes and sensor-like noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    arr = np.empty((height, width, 3), dtype=np.uint8)
    arr[..., 0] = (128 + 80 * np.sin(x / 370) * np.cos(y / 290)).astype(np.uint8)
    arr[..., 1] = (110 + 70 * np.cos((x + y) / 510)).astype(np.uint8)
    arr[..., 2] = (140 + 60 * np.sin(y / 230) + 0 * x).astype(np.uint8)
    cy, cx, radius = height * 0.45, width * 0.62, min(width, height) * 0.18
    arr[((x - cx) ** 2 + (y - cy) ** 2) < radius**2] = (220, 180, 150)
    noise = rng.integers(-6, 7, size=(height, width, 1), dtype=np.int16)
    arr = np.clip(arr.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def baseline(data: bytes) -> list[bytes]:
    out = []
    for _, w, h in SIZES:
        img = Image.open(io.BytesIO(data))
        img.load()
        rendition = ImageOps.fit(img.convert("RGB"), (w, h), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        rendition.save(buf, "WEBP", quality=85)
        out.append(buf.getvalue())
    return out


def ours(data: bytes) -> list[bytes]:
    return [
        r.data for r in render_pack(data, TARGETS, mode="centre", fmt="webp", quality=85, workers=2)
    ]


def psnr(a: bytes, b: bytes, reference: Image.Image) -> tuple[float, float]:
    ref = np.asarray(reference, dtype=np.float64)

    def one(data: bytes) -> float:
        arr = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)
        mse = float(np.mean((arr - ref) ** 2))
        return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)

    return one(a), one(b)


def timed(fn, data: bytes, repeat: int) -> tuple[float, list[bytes]]:
    times, result = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(data)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux: writing 5 to clear_refs), so the figure covers
    only what follows, not the synthetic photos' generation."""
    try:
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    try:
        for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--small", action="store_true", help="1/16-size photos: proves the bench runs, no figures"
    )
    args = parser.parse_args()

    scale = 4 if args.small else 1
    print(f"cpus: {os.cpu_count()}  Pillow {Image.__version__}  numpy {np.__version__}")
    photo12 = synthetic_photo(4000 // scale, 3000 // scale)
    photo24 = synthetic_photo(6000 // scale, 4000 // scale, seed=2)
    # Warm up both paths (imports, thread pool, codec tables).
    baseline(synthetic_photo(800, 600))
    ours(synthetic_photo(800, 600))

    base_ms, base_out = timed(baseline, photo12, args.repeat)
    reset_peak_rss()
    pack_ms, pack_out = timed(ours, photo12, args.repeat)
    pack24_ms, _ = timed(ours, photo24, args.repeat)
    pack_peak = peak_rss_mb()

    # Quality: both 1080×1080 renditions against an exact high-quality reference.
    full = Image.open(io.BytesIO(photo12)).convert("RGB")
    reference = ImageOps.fit(full, SIZES[0][1:], Image.Resampling.LANCZOS)
    base_psnr, pack_psnr = psnr(base_out[0], pack_out[0], reference)

    focal_ms = float("nan")
    try:
        if args.small:
            raise RuntimeError("skipped in a --small run")
        from providers.base import Capability, ProviderRequest
        from providers.local import LocalEngine

        engine = LocalEngine()
        start = time.perf_counter()
        engine.run(ProviderRequest(capability=Capability.FOCAL_POINT, image=photo12))
        focal_ms = (time.perf_counter() - start) * 1000
    except Exception as exc:  # noqa: BLE001 - report, don't hide, a missing detector
        print(f"focal point detection unavailable: {exc}")

    speedup = base_ms / pack_ms
    print(f"12 MP → 10 WebP q85: baseline {base_ms:.0f} ms, ours {pack_ms:.0f} ms ({speedup:.2f}×)")
    print(f"24 MP → 10 WebP q85: ours {pack24_ms:.0f} ms")
    print(f"PSNR of the 1080×1080 rendition: baseline {base_psnr:.2f} dB, ours {pack_psnr:.2f} dB")
    print(f"focal point on 12 MP: {focal_ms:.0f} ms")
    print(
        f"RESULT speedup={speedup:.2f} psnr_delta_db={pack_psnr - base_psnr:.2f} "
        f"pack_12mp_ms={pack_ms:.0f} baseline_12mp_ms={base_ms:.0f} pack_24mp_ms={pack24_ms:.0f} "
        f"focal_ms={focal_ms:.0f} peak_rss_mb={pack_peak:.0f}"
    )


if __name__ == "__main__":
    main()
