"""``make run`` (bin/run): a job runs, a killed worker comes back, and Ctrl+C stops every
process within 10 seconds."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)

# The job worker's start line (not the batch rows' worker, "batch-worker started").
WORKER_STARTED = r"(?<!-)worker started \(pid (\d+)\)"

JOB_SCRIPT = """
import io, sys, time
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from assets.services import asset_create_from_upload
from studio.jobs.models import Job
from studio.jobs.registry import get_operation
from studio.jobs.services import job_create


User = get_user_model()
user, _ = User.objects.get_or_create(username="runner", defaults={"email": "runner@example.com"})
buf = io.BytesIO()
Image.new("RGB", (200, 100), "teal").save(buf, "PNG")
upload = SimpleUploadedFile("a.png", buf.getvalue(), content_type="image/png")
asset = asset_create_from_upload(owner=user, uploaded=upload, filename="a.png")
job = job_create(user=user, operation=get_operation("tools.resize"),
                 cleaned={"width": 50, "height": None, "mode": "fit"}, inputs=[asset])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    job.refresh_from_db()
    if job.is_terminal:
        break
    time.sleep(0.2)
print("STATUS", job.status, job.outputs.count())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree, found, todo = children_of(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def make_run(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "TESTING",
            "DATABASE_URL",
            "REDIS_URL",
            "CACHE_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            "PYTEST_CURRENT_TEST",
        }
    }
    env.update(VENV=str(VENV), PORT=str(port), VAR_DIR=str(tmp_path / "var"), DEBUG="true")
    env["WORKER_CONCURRENCY"] = "1"
    log = open(tmp_path / "run.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [str(ROOT / "bin" / "run")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    class Run:
        pass

    run = Run()
    run.process, run.port, run.env, run.log_path = process, port, env, tmp_path / "run.log"
    run.log = lambda: run.log_path.read_text()

    def job() -> str:
        out = subprocess.run(
            [str(VENV / "bin" / "python"), "manage.py", "shell", "--no-imports", "-c", JOB_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return out.stdout + out.stderr

    run.job = job
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
                if r.status == 200 and "worker started" in run.log():
                    break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        deadline = 0
    try:
        if time.monotonic() >= deadline:
            pytest.fail(f"bin/run did not come up:\n{run.log()}")
        yield run
    finally:
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=10)
        log.close()


def test_ctrl_c_stops_every_process_within_ten_seconds(make_run):
    assert "STATUS succeeded 1" in make_run.job()
    everything = {make_run.process.pid, *descendants(make_run.process.pid)}
    names = {
        (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        for pid in everything
        if alive(pid)
    }
    assert any("celery" in n and " worker" in n for n in names), names
    assert any("celery" in n and " beat" in n for n in names), names
    assert any("runserver" in n for n in names), names

    started = time.monotonic()
    os.killpg(make_run.process.pid, signal.SIGINT)  # what a terminal sends on Ctrl+C
    while time.monotonic() - started < 10 and any(alive(pid) for pid in everything):
        time.sleep(0.1)
    left = [pid for pid in everything if alive(pid)]
    assert left == [], f"still running after 10 s: {left}\n{make_run.log()[-3000:]}"
    assert make_run.process.wait(timeout=1) is not None


def test_a_killed_worker_is_restarted_and_runs_jobs_again(make_run):
    # The job worker, not the batch rows' worker beside it.
    first = re.findall(WORKER_STARTED, make_run.log())
    assert len(first) == 1
    assert len(re.findall(r"batch-worker started \(pid \d+\)", make_run.log())) == 1
    os.killpg(int(first[0]), signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        started = re.findall(WORKER_STARTED, make_run.log())
        if len(started) == 2:
            break
        time.sleep(0.2)
    log = make_run.log()
    assert re.search(r"(?<!-)worker exited with code -9; restarting in 1 s", log), log[-3000:]
    assert len(re.findall(WORKER_STARTED, log)) == 2, log[-3000:]
    assert "STATUS succeeded 1" in make_run.job()
