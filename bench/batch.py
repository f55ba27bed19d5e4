"""Batch throughput: rows through a provider at its concurrency limit, against one by one.

50 library images run through background removal on Stability (a catalog operation of
the Edit module served by the provider instead of the local engine, registered here)
against the project's fake Stability server, which answers after a fixed latency L. The
batch runs with the provider limit C (rows in flight at once) and then, as the baseline
in the same run, with C = 1 (the same rows one by one). The ideal wall time at limit C is
⌈rows / C⌉ · L; ``ratio`` is the measured wall time over it (target ≤ 1.25). The images
are small (256 px) so the measurement is the batch engine's scheduling, not image
encoding. Also times the dry run (validate and price) of a 1,000-row product CSV and of
a 1,000-row prompt CSV (target < 2 s).

A real Celery worker runs in this process with a thread pool and the batch queue only, as
the batch worker runs (``make run``'s batch worker, the README's production shape; the
outputs' grid tiles are made by the other worker there, and are left queued here), on an
in-memory broker, against a throwaway SQLite database (or ``--database-url``) and media
folder.

    .venv/bin/python bench/batch.py [--rows 50] [--latency 0.5] [--limit 8]

Last line: RESULT rows=… concurrency=… latency_s=… wall_s=… ideal_s=… ratio=…
sequential_s=… speedup=… dry_run_1000_rows_ms=… dry_run_1000_prompts_ms=…
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _environment(tmp: Path, database_url: str) -> None:
    os.environ["VAR_DIR"] = str(tmp)
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CACHE_URL"] = "locmem://"
    os.environ["BATCH_LIMITER_URL"] = ""
    os.environ["REDIS_URL"] = ""
    os.environ["TESTING"] = "false"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "imagestudio.settings"


def _slow_stability(latency: float):
    from providers.fakes.stability import StabilityFake

    class SlowStability(StabilityFake):
        """The fake Stability API, answering each operation after ``latency`` seconds."""

        def handle(self, request):
            reply = super().handle(request)
            if request.method == "POST" and request.path.startswith("/v2beta/"):
                reply.delay = latency
            return reply

    return SlowStability().start()


def _serve_fake(latency: float) -> None:
    """Child process: run the slow fake, print its environment, serve until stdin closes."""
    fake = _slow_stability(latency)
    for key, value in fake.env().items():
        print(f"{key}={value}", flush=True)
    print("READY", flush=True)
    sys.stdin.read()
    fake.stop()


def _start_fake(latency: float) -> tuple[subprocess.Popen, dict[str, str]]:
    """The fake in its own process, so its image work doesn't share this one's CPU time."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-fake", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    env = {}
    for line in child.stdout:
        line = line.strip()
        if line == "READY":
            break
        key, _, value = line.partition("=")
        env[key] = value
    return child, env


OPERATION = "bench.remove_background"


def _register_operation() -> None:
    """Background removal served by Stability: a provider operation for the rows."""
    from providers.base import Capability
    from studio.jobs.forms import OperationForm
    from studio.jobs.registry import Operation, register

    register(
        Operation(
            key=OPERATION,
            module="edit",
            label="Remove background (Stability)",
            verb="Remove background",
            progress_message="Cutting out the subject…",
            capability=Capability.REMOVE_BACKGROUND,
            form_class=OperationForm,
            provider="stability",
            model="remove-background",
            price_key="edit.remove_background",
        )
    )


def _images(user, count: int) -> list:
    import io

    from PIL import Image, ImageDraw

    from assets.services import asset_create_from_upload

    assets = []
    for i in range(count):
        img = Image.new("RGB", (256, 256), (240, 240, 240))
        ImageDraw.Draw(img).ellipse((60, 60, 196, 196), fill=(20 + i * 4 % 200, 90, 160))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        buf.seek(0)
        assets.append(
            asset_create_from_upload(owner=user, uploaded=buf, filename=f"item-{i + 1}.png")
        )
    return assets


def _run(user, assets: list, limit: int, timeout: float) -> float:
    from django.conf import settings
    from django.db.models import Count

    from studio.batch import services
    from studio.batch.limits import limiter
    from studio.batch.models import Batch

    settings.BATCH_PROVIDER_LIMITS = {**settings.BATCH_PROVIDER_LIMITS, "stability": limit}
    limiter().reset()
    batch = services.batch_create_from_images(
        user=user, operation=OPERATION, assets=assets, name=f"bench C={limit}"
    )
    rows = len(assets)
    bad = list(batch.rows.exclude(status="ready").values_list("error", flat=True)[:3])
    assert not bad, bad
    started = time.perf_counter()
    services.batch_approve(batch=batch, notify=False)
    deadline = started + timeout
    while time.perf_counter() < deadline:
        batch.refresh_from_db()
        if batch.status == Batch.Status.FINISHED:
            break
        time.sleep(0.05)  # a coarse poll: it shares the GIL with the worker threads
    wall = time.perf_counter() - started
    counts = dict(
        batch.rows.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    if batch.status != Batch.Status.FINISHED or counts.get("succeeded") != rows:
        errors = list(batch.rows.exclude(error="").values_list("error", flat=True)[:3])
        raise SystemExit(f"batch did not finish at C={limit}: {batch.status} {counts} {errors}")
    return wall


def _dry_run_ms(user, data: bytes, repeat: int = 3) -> float:
    from studio.batch import importer

    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        _, rows = importer.parse_csv(data)
        plans = importer.dry_run(user=user, rows=rows)
        best = min(best, (time.perf_counter() - started) * 1000)
        assert len(plans) == 1000 and all(p.valid for p in plans), plans[0].error
    return best


def _products_csv() -> bytes:
    lines = ["sku,image_url,operation,format,quality"]
    lines += [
        f"SKU-{i:04d},https://shop.example.com/img/{i}.jpg,tools.convert,webp,85"
        for i in range(1000)
    ]
    return ("\n".join(lines) + "\n").encode()


def _prompts_csv() -> bytes:
    lines = ["prompt,template,variations,seed"]
    lines += [f"Product shot {i} on a plain background,instagram-square,1,{i}" for i in range(1000)]
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--serve-fake", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake is not None:
        _serve_fake(args.serve_fake)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    _environment(tmp, args.database_url)
    fake, fake_env = _start_fake(args.latency)
    os.environ.update(fake_env)

    import django

    django.setup()
    from celery.contrib.testing.worker import start_worker
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from billing.models import Plan
    from billing.services import credits_add, plan_change
    from imagestudio.celery import app

    call_command("migrate", verbosity=0)
    _register_operation()
    app.conf.broker_transport_options = {"polling_interval": 0.01}
    # A user of its own per run: a database given with --database-url may hold earlier ones.
    name = f"bench-batch-{int(time.time())}"
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "x")
    plan_change(user=user, plan=Plan.objects.get(slug="business"))
    credits_add(user=user, amount=100_000, kind="adjustment", reason="bench")
    assets = _images(user, args.rows)
    warm_up = _images(user, 2)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"python {platform.python_version()} · {platform.machine()} · {os.cpu_count()} CPUs · "
        f"load average {load}"
    )
    print(f"database {connection.vendor} · broker memory:// · worker threads {args.limit + 2}")
    print(
        f"fake Stability latency {args.latency} s · {args.rows} rows of {OPERATION} · limit {args.limit}"
    )

    with start_worker(
        app,
        pool="threads",
        concurrency=args.limit + 2,
        perform_ping_check=False,
        shutdown_timeout=30,
        queues=["batch"],  # as the batch worker: the grid tiles are the other worker's
        loglevel="WARNING",
    ):
        timeout = args.rows * args.latency * 3 + 60
        _run(user, warm_up, args.limit, timeout)  # first-call imports and connections
        wall = _run(user, assets, args.limit, timeout)
        sequential = _run(user, assets, 1, timeout)
    dry_ms = _dry_run_ms(user, _products_csv())
    dry_prompts_ms = _dry_run_ms(user, _prompts_csv())
    fake.stdin.close()
    fake.wait(timeout=10)

    ideal = math.ceil(args.rows / args.limit) * args.latency
    print(
        f"limit {args.limit}: {wall:.2f} s (ideal {ideal:.2f} s) · one by one: {sequential:.2f} s"
    )
    print(f"dry run of 1,000 rows: {dry_ms:.0f} ms (products), {dry_prompts_ms:.0f} ms (prompts)")
    print(
        f"RESULT rows={args.rows} concurrency={args.limit} latency_s={args.latency} "
        f"wall_s={wall:.3f} ideal_s={ideal:.3f} ratio={wall / ideal:.3f} "
        f"sequential_s={sequential:.3f} speedup={sequential / wall:.2f} "
        f"dry_run_1000_rows_ms={dry_ms:.1f} dry_run_1000_prompts_ms={dry_prompts_ms:.1f}"
    )


if __name__ == "__main__":
    main()
