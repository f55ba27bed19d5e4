"""Chaos on the real stack: PostgreSQL, a private Redis, a Celery worker and beat.

A job is slowed down (one long step, as an upscale would be) and then
- its worker is killed with SIGKILL: beat keeps sending the sweeper, a restarted worker
  recovers the job, and it finishes exactly once with its credits captured once;
- Redis is restarted (losing everything it held): the running job finishes, the worker
  reconnects and later jobs run; nothing stays stuck.

The Redis server is started by the test on a free port, so restarting it disturbs nobody.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from assets.models import Asset
from billing.models import LedgerEntry, PriceRule
from billing.services import account_for, credits_add
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.services import job_create
from studio.jobs.tasks import job_run_task

pytestmark = [
    pytest.mark.services,
    pytest.mark.real_storage,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
STEP_SECONDS = 4
PRICE = 3

# Runs the real Celery worker with one step of every job made slow.
WORKER = f"""
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestudio.settings")
django.setup()
from studio.jobs import services
real_read = services._read_input
def slow_read(asset):
    time.sleep({STEP_SECONDS})
    return real_read(asset)
services._read_input = slow_read
from celery.__main__ import main
sys.argv = ["celery", *sys.argv[1:]]
main()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, tmp_path: Path, database_name: str):
        self.tmp = tmp_path
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.redis: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.logs = []
        db = connection.settings_dict
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"CACHE_URL", "CELERY_BROKER_URL", "PYTEST_CURRENT_TEST"}
        }
        self.env.update(
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{database_name}",
            REDIS_URL=self.redis_url,
            MEDIA_ROOT=str(tmp_path / "media"),
            VAR_DIR=str(tmp_path / "var"),
            JOB_HEARTBEAT_SECONDS="1",
            JOB_STALE_AFTER="4",
            JOB_SWEEP_SECONDS="2",
            PYTHONPATH=str(ROOT),  # this checkout, whatever is installed
        )
        (tmp_path / "worker.py").write_text(WORKER)

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.logs)}.log", "w")  # noqa: SIM115
        self.logs.append(log)
        return subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def start_redis(self) -> None:
        self.redis = self._spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail("the private Redis did not start")

    def stop_redis(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker",
            [sys.executable, str(self.tmp / "worker.py"), "-A", "imagestudio", "worker",
             "--loglevel=INFO", "--concurrency=1", "--without-mingle", "--without-gossip",
             "--queues=interactive,batch,maintenance"],
        )  # fmt: skip

    def start_beat(self) -> None:
        self.beat = self._spawn(
            "beat",
            [sys.executable, "-m", "celery", "-A", "imagestudio", "beat", "--loglevel=INFO",
             f"--schedule={self.tmp / 'beat-schedule'}"],
        )  # fmt: skip

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)

    def enqueue(self, job: Job) -> None:
        from imagestudio.celery import app

        with app.connection_for_write(self.redis_url) as conn:
            job_run_task.apply_async(args=[job.pk], queue=job.queue, connection=conn)

    def output(self) -> str:
        text = []
        for log in self.logs:
            log.flush()
            text.append(f"--- {Path(log.name).name}\n{Path(log.name).read_text()[-2500:]}")
        return "\n".join(text)

    def close(self) -> None:
        for process in (self.worker, self.beat, self.redis):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
        for log in self.logs:
            log.close()


@pytest.fixture
def stack(tmp_path, settings, alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI=true make test does)")
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (apt-get install redis-server)")
    media = tmp_path / "media"
    media.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    PriceRule.objects.update_or_create(
        operation="tools.resize",
        provider="local",
        model="",
        tier="",
        defaults={"credits_per_unit": PRICE},
    )
    credits_add(user=alice, amount=10, kind="purchase", reason="chaos test")
    running = Stack(tmp_path, connection.settings_dict["NAME"])
    running.start_redis()
    running.start_worker()
    running.start_beat()
    try:
        yield running
    finally:
        running.close()


def submit(stack: Stack, user, asset) -> Job:
    # Enqueued by hand on the private Redis (this process's broker is another one).
    with mock.patch.object(job_run_task, "apply_async_on_commit"):
        job = job_create(
            user=user,
            operation=get_operation("tools.resize"),
            cleaned={"width": 40, "height": None, "mode": "fit"},
            inputs=[asset],
        )
    stack.enqueue(job)
    return job


def wait_for(stack: Stack, job: Job, condition, timeout: float, what: str) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if condition(job):
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job.status} (attempts {job.attempts}) never {what}\n{stack.output()}")


def assert_finished_exactly_once(job: Job, user, start_balance: int) -> None:
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Asset.objects.filter(source_job_id=job.public_id).count() == 1
    kinds = list(LedgerEntry.objects.filter(job_id=job.public_id).values_list("kind", flat=True))
    assert sorted(kinds) == ["capture", "hold"], kinds
    account = account_for(user=user)
    assert (account.balance, account.held) == (start_balance - PRICE, 0)
    assert job.credits_charged == PRICE


def test_a_job_whose_worker_is_killed_finishes_exactly_once(stack, alice, alice_asset):
    start = account_for(user=alice).balance
    job = submit(stack, alice, alice_asset)
    wait_for(stack, job, lambda j: j.status == Job.Status.RUNNING, 60, "started")
    time.sleep(1)
    stack.kill_worker()  # mid-step: the job is left "running" with its credits held
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and account_for(user=alice).held == PRICE

    killed_at = time.monotonic()
    stack.start_worker()  # what make run's supervisor does
    job = wait_for(stack, job, lambda j: j.is_terminal, 90, "finished")
    recovery = time.monotonic() - killed_at
    assert job.attempts == 2
    assert recovery < 60, recovery
    assert_finished_exactly_once(job, alice, start)
    # A few sweeps later nothing has run it again.
    time.sleep(5)
    job.refresh_from_db()
    assert job.attempts == 2
    assert_finished_exactly_once(job, alice, start)


def test_a_redis_restart_mid_job_leaves_nothing_stuck(stack, alice, alice_asset):
    start = account_for(user=alice).balance
    job = submit(stack, alice, alice_asset)
    wait_for(stack, job, lambda j: j.status == Job.Status.RUNNING, 60, "started")
    stack.stop_redis()  # everything Redis held (queues, unacked messages) is gone
    time.sleep(1)
    stack.start_redis()
    job = wait_for(stack, job, lambda j: j.is_terminal, 90, "finished")
    assert job.attempts == 1
    assert_finished_exactly_once(job, alice, start)

    # The worker reconnected: the next job runs too.
    later = submit(stack, alice, alice_asset)
    later = wait_for(stack, later, lambda j: j.is_terminal, 90, "finished after the restart")
    assert later.status == Job.Status.SUCCEEDED
    time.sleep(3)
    job.refresh_from_db()
    assert job.attempts == 1
    assert_finished_exactly_once(job, alice, start - PRICE)
