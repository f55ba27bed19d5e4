"""Job overhead: zero-work jobs through the real pipeline with real Celery workers on Redis.

A no-op operation is registered in the bench process and in its workers only (it never
appears in the studio). Each job goes the whole way: estimate, plan check and credit hold
in one transaction, enqueue on commit, claim by a worker (queued → running), the no-op
runner, finish and capture. Measured for 1 and 2 worker processes (each a Celery worker
with the solo pool, so one process does the work):

- latency: jobs submitted one at a time, each after the last has finished:
  ``submit_to_start_p50_ms`` (created → claimed) and ``submit_to_done_p50_ms``;
- throughput: the same number submitted at once: ``jobs_per_s`` (first submit → last
  finish). One process submits them, so this is also bounded by how fast one web process
  can submit;
- drain rate: the same number queued while the workers are told to stop consuming, then
  let go: ``drain_jobs_per_s`` (first start → last finish), what the worker processes
  themselves sustain with work waiting.

Settings are production-like (DEBUG off); workers keep their database connection from
task to task as the deployed ones do.

    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/jobs.py          # 200 jobs
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/jobs.py --jobs 20

The jobs belong to the bench user ``bench-jobs``, on an inactive plan of its own that
allows many jobs at once; they stay (the credit ledger is append-only). Last line: ``RESULT jobs=… submit_to_start_p50_ms=…
submit_to_done_p50_ms=… jobs_per_s=… …`` (1 worker, then the same keys with ``_2w``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestudio.settings")
# As deployed: no SQL kept per query for the debug page. Workers inherit this environment.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

USER = "bench-jobs"
OPERATION = "bench.noop"


def register_noop():
    """The no-op operation (and its module), in this process's catalog only."""
    from django import forms

    from providers.base import Capability, ProviderResult
    from studio.jobs.registry import Module, Operation, register, register_module

    register_module(Module(key="bench", label="Bench", order=999))
    operation = Operation(
        key=OPERATION,
        module="bench",
        label="No-op",
        verb="Run",
        progress_message="Running…",
        capability=Capability.TEXT_TO_IMAGE,
        form_class=forms.Form,
        provider="local",
        output="analysis",
        runner=lambda **kwargs: ProviderResult(provider="local", model="", meta={}),
        in_actions=False,
    )
    register(operation)
    return operation


def worker(index: int) -> None:
    """A Celery worker process with the no-op registered (``--worker N``)."""
    import django

    django.setup()
    register_noop()
    from imagestudio.celery import app

    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--queues=interactive",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=bench-jobs-{index}@%h",
        ]
    )


def _user():
    from django.contrib.auth import get_user_model

    from billing.models import Plan, Subscription
    from billing.services import subscription_for

    plan, _ = Plan.objects.update_or_create(
        slug="bench-jobs",
        defaults={
            "name": "Bench",
            "is_active": False,
            "max_concurrent_jobs": 10_000,
            "max_jobs_per_hour": 1_000_000,
        },
    )
    user, _ = get_user_model().objects.get_or_create(
        username=USER, defaults={"email": f"{USER}@example.com"}
    )
    subscription_for(user=user)
    Subscription.objects.filter(user=user).update(plan=plan)
    return user


def _wait(ids: list[int], timeout: float) -> None:
    from studio.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = Job.objects.filter(pk__in=ids).exclude(status=Job.Status.SUCCEEDED)
        if not left.exists():
            return
        failed = left.exclude(status__in=Job.ACTIVE_STATUSES).first()
        if failed is not None:
            raise SystemExit(f"job {failed.public_id} ended {failed.status}: {failed.message}")
        time.sleep(0.005)
    raise SystemExit(f"jobs not done after {timeout:.0f} s: is the worker running?")


def drain(user, operation, jobs: int, workers: list[str]) -> float:
    """Jobs a second with ``jobs`` already waiting: queued while the workers don't consume,
    timed from the first start to the last finish."""
    from imagestudio.celery import app
    from studio.jobs.models import Job
    from studio.jobs.services import job_create

    app.control.cancel_consumer("interactive", destination=workers, reply=True)
    queued = [
        job_create(user=user, operation=operation, inputs=[], params={}).pk for _ in range(jobs)
    ]
    app.control.add_consumer("interactive", destination=workers, reply=True)
    _wait(queued, timeout=max(60, jobs))
    span = Job.objects.filter(pk__in=queued).values_list("started_at", "finished_at")
    first = min(s for s, _ in span)
    last = max(f for _, f in span)
    return jobs / max((last - first).total_seconds(), 1e-6)


def measure(user, operation, jobs: int) -> dict[str, float]:
    from studio.jobs.models import Job
    from studio.jobs.services import job_create

    def ms(a, b) -> float:
        return (b - a).total_seconds() * 1000

    # Latency: one job at a time.
    paced = []
    for _ in range(jobs):
        job = job_create(user=user, operation=operation, inputs=[], params={})
        _wait([job.pk], timeout=30)
        paced.append(job.pk)
    rows = list(Job.objects.filter(pk__in=paced).values("created_at", "started_at", "finished_at"))
    start = [ms(r["created_at"], r["started_at"]) for r in rows]
    done = [ms(r["created_at"], r["finished_at"]) for r in rows]
    # Throughput: all at once.
    burst = [
        job_create(user=user, operation=operation, inputs=[], params={}).pk for _ in range(jobs)
    ]
    _wait(burst, timeout=max(60, jobs))
    span = Job.objects.filter(pk__in=burst).values_list("created_at", "finished_at")
    first = min(c for c, _ in span)
    last = max(f for _, f in span)
    return {
        "submit_to_start_p50_ms": statistics.median(start),
        "submit_to_done_p50_ms": statistics.median(done),
        "jobs_per_s": jobs / max((last - first).total_seconds(), 1e-6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="worker process counts to measure")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        raise SystemExit(
            "Set REDIS_URL (or CELERY_BROKER_URL) to a Redis database: the bench needs a real broker."
        )
    call_command("migrate", verbosity=0)
    operation = register_noop()
    print(
        f"database: {connection.vendor} {settings.DATABASES['default'].get('NAME')}  "
        f"broker: {broker.rsplit('@', 1)[-1]}  cpus: {os.cpu_count()}"
    )
    from imagestudio.celery import app

    app.control.purge()
    user = _user()
    results = {}
    for count in [int(n) for n in args.workers.split(",")]:
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", str(i)], cwd=ROOT, env=os.environ.copy()
            )
            for i in range(count)
        ]
        try:
            # Warm up: every worker has connected and run a job.
            from studio.jobs.services import job_create

            warm = [
                job_create(user=user, operation=operation, inputs=[], params={}).pk
                for _ in range(4 * count)
            ]
            _wait(warm, timeout=60)
            results[count] = measure(user, operation, args.jobs)
            names = [f"bench-jobs-{i}@{socket.gethostname()}" for i in range(count)]
            results[count]["drain_jobs_per_s"] = drain(user, operation, args.jobs, names)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        r = results[count]
        print(
            f"{count} worker process{'es' if count > 1 else ''}: submit→start p50 "
            f"{r['submit_to_start_p50_ms']:.1f} ms, submit→done p50 "
            f"{r['submit_to_done_p50_ms']:.1f} ms, {r['jobs_per_s']:.1f} jobs/s submitted at "
            f"once, {r['drain_jobs_per_s']:.1f} jobs/s draining a queue"
        )
    fields = [f"jobs={args.jobs}"]
    for count, r in results.items():
        suffix = "" if count == 1 else f"_{count}w"
        fields += [f"{k}{suffix}={v:.1f}" for k, v in r.items()]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
