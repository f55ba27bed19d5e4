"""Upload throughput: 12 MP JPEGs until their grid thumbnail and analysis exist.

Each upload goes through the real service (validation, SHA-256, stored file, 480 px
thumbnail, grid tile, palette, automatic tags, search document); anything it queues
(such as a grid rendition task) runs eagerly in the same process, as a worker would. Two
worker processes share the uploads. The baseline is the same pipeline with reduced-scale
JPEG decoding switched off (every decode full size), measured in the same run.

    .venv/bin/python bench/thumbs.py                 # 50 uploads, 2 processes
    .venv/bin/python bench/thumbs.py --uploads 6     # a quick run

Files go to a temporary media folder; rows belong to the bench user ``bench-thumbs``
(removed before and after). Last line: ``RESULT thumbs_per_s=… baseline_thumbs_per_s=…
speedup=… upload_p50_ms=… … upload_cpu_p50_ms=…``. The CPU time per upload (of the
process doing it) hardly moves when other work shares the machine; wall-clock rates do.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestudio.settings")
# Queued tasks (a grid rendition) run where they are enqueued (after commit), as a worker
# would, so their work counts.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
if "MEDIA_ROOT" not in os.environ:
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-thumbs-")

USER = "bench-thumbs"


def _django():
    import django

    django.setup()


def _owner():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=USER, defaults={"email": f"{USER}@example.com"}
    )
    return user


def _cleanup() -> None:
    from django.db import connection

    from assets.models import Asset

    owner = _owner()
    Asset.objects.filter(owner=owner).update(parent=None, root=None, stacked_under=None)
    Asset.objects.filter(owner=owner).delete()
    connection.close()


def _work(args: tuple[bytes, int, bool]) -> list[tuple[float, float]]:
    """One worker process: ``count`` uploads, each until its grid rendition exists.

    Returns (wall ms, CPU ms) of each upload."""
    data, count, reduced = args
    _django()
    import io

    from django.db import connection
    from PIL import JpegImagePlugin

    from assets.models import Rendition
    from assets.services import asset_create_from_upload

    if not reduced:
        # The baseline: JPEGs decoded at full size everywhere.
        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None
    owner = _owner()
    times = []
    for n in range(count):
        start, cpu = time.perf_counter(), time.process_time()
        asset = asset_create_from_upload(
            owner=owner, uploaded=io.BytesIO(data), filename=f"photo-{n}.jpg"
        )
        assert asset.thumbnail and asset.palette, "no thumbnail or palette"
        assert Rendition.objects.filter(asset=asset, spec="grid").exists(), "no grid rendition"
        times.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
    connection.close()
    return times


def run(
    data: bytes, uploads: int, workers: int, *, reduced: bool
) -> tuple[float, list[tuple[float, float]]]:
    share = [uploads // workers + (1 if i < uploads % workers else 0) for i in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_warm, range(workers))  # imports and Django set-up are not timed
        start = time.perf_counter()
        per_worker = pool.map(_work, [(data, n, reduced) for n in share])
        wall = time.perf_counter() - start
    return wall, [t for ts in per_worker for t in ts]


def _warm(_: int) -> None:
    _django()
    import assets.services  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--megapixels", type=int, default=12, choices=[12, 24])
    args = parser.parse_args()

    _django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from PIL import __version__ as pillow_version
    from social_pack import synthetic_photo

    call_command("migrate", verbosity=0)

    size = (4000, 3000) if args.megapixels == 12 else (6000, 4000)
    data = synthetic_photo(*size)
    print(
        f"database: {connection.vendor} {settings.DATABASES['default'].get('NAME')}  "
        f"media: {settings.MEDIA_ROOT}  cpus: {os.cpu_count()}  Pillow {pillow_version}"
    )
    print(
        f"{args.uploads} uploads of a {size[0]}×{size[1]} JPEG ({len(data) / 1e6:.1f} MB), "
        f"{args.workers} worker processes"
    )
    _cleanup()
    try:
        base_wall, base_times = run(data, args.uploads, args.workers, reduced=False)
        _cleanup()
        wall, times = run(data, args.uploads, args.workers, reduced=True)
    finally:
        _cleanup()
        if os.environ["MEDIA_ROOT"].startswith(tempfile.gettempdir()):
            shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)
    rate, base_rate = args.uploads / wall, args.uploads / base_wall
    p50, base_p50 = (statistics.median(t for t, _ in ts) for ts in (times, base_times))
    cpu, base_cpu = (statistics.median(c for _, c in ts) for ts in (times, base_times))
    print(
        f"full-size decoding:    {base_rate:5.1f} uploads/s  p50 {base_p50:6.0f} ms per upload"
        f"  (CPU {base_cpu:.0f} ms)"
    )
    print(
        f"reduced-scale decoding: {rate:5.1f} uploads/s  p50 {p50:6.0f} ms per upload"
        f"  (CPU {cpu:.0f} ms)"
    )
    print(
        f"RESULT thumbs_per_s={rate:.1f} baseline_thumbs_per_s={base_rate:.1f} "
        f"speedup={rate / base_rate:.2f} upload_p50_ms={p50:.0f} baseline_upload_p50_ms={base_p50:.0f} "
        f"uploads={args.uploads} workers={args.workers} "
        f"upload_cpu_p50_ms={cpu:.0f} baseline_upload_cpu_p50_ms={base_cpu:.0f}"
    )


if __name__ == "__main__":
    main()
