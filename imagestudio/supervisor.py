"""``make run``'s process supervisor: the web server, two Celery workers and Celery beat.

One worker (processes) runs what users wait on and housekeeping; the other runs batch
rows in threads: a batch row mostly waits for a provider, so one process with a thread
per row in flight lets a batch use its providers' limits (``BATCH_LIMIT_<PROVIDER>``)
without a process per row. The thread pool has no time limits of its own: a job's
heartbeat fails it once it runs past ``JOB_SOFT_TIME_LIMIT`` (see ``studio.jobs.services``).

Each service runs in its own process group. The worker and beat come back when they exit
(a crash, an out-of-memory kill, ``kill -9``), after a pause that doubles from one second
up to half a minute and starts over once a run has lasted a minute. Beat is its own
process, so the job sweeper it schedules keeps being sent while a worker is down, and the
restarted worker picks the sweep (and the recovered jobs) up.

Ctrl+C (SIGINT) or SIGTERM stops everything: each group gets SIGTERM, and whatever is
still alive after ``RUN_STOP_GRACE`` seconds (default 5) is killed with its children. A
job cut short this way is recovered by the sweeper on the next start. A second Ctrl+C
kills at once.

    python -m imagestudio.supervisor --port 8000 --concurrency 2
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
HEALTHY_RUN = 60.0  # a run this long resets the backoff


def log(message: str) -> None:
    print(f"[run] {message}", file=sys.stderr, flush=True)


@dataclass
class Service:
    name: str
    argv: list[str]
    restart: bool
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0
    env: dict = field(default_factory=dict)

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            self.argv, start_new_session=True, env={**os.environ, **self.env}
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        log(f"{self.name} started (pid {self.process.pid})")

    def signal_group(self, sig: int) -> None:
        if self.process is None or self.process.returncode is not None and sig != signal.SIGKILL:
            return
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def group_alive(self) -> bool:
        """Whether anything of this service's process group is still running."""
        if self.process is None:
            return False
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def services(
    *, port: int, concurrency: int, python: str, var_dir: str, batch_threads: int = 10
) -> list[Service]:
    return [
        Service(
            "web",
            [python, "manage.py", "runserver", f"127.0.0.1:{port}"],
            restart=False,
        ),
        Service(
            "worker",
            [
                python, "-m", "celery", "-A", "imagestudio", "worker", "--loglevel=INFO",
                "--queues=interactive,maintenance", f"--concurrency={concurrency}",
                "--without-mingle", "--without-gossip", "--hostname=worker@%h",
            ],
            restart=True,
        ),
        Service(
            "batch-worker",
            [
                python, "-m", "celery", "-A", "imagestudio", "worker", "--loglevel=INFO",
                "--queues=batch", "--pool=threads", f"--concurrency={batch_threads}",
                "--without-mingle", "--without-gossip", "--hostname=batch@%h",
            ],
            restart=True,
        ),
        Service(
            "beat",
            [
                python, "-m", "celery", "-A", "imagestudio", "beat", "--loglevel=INFO",
                f"--schedule={os.path.join(var_dir, 'celerybeat-schedule')}",
            ],
            restart=True,
        ),
    ]  # fmt: skip


class Supervisor:
    def __init__(self, services: list[Service], *, grace: float) -> None:
        self.services = services
        self.grace = grace
        self.stopping = False
        self.exit_code = 0
        self.signals = 0

    def _on_signal(self, signum, _frame) -> None:
        self.signals += 1
        if self.signals > 1:
            log("second stop signal: killing everything now")
            for service in self.services:
                service.signal_group(signal.SIGKILL)
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for service in self.services:
            service.start()
        while not self.stopping:
            self._tick()
            time.sleep(0.2)
        self.stop()
        return self.exit_code

    def _tick(self) -> None:
        now = time.monotonic()
        for service in self.services:
            if service.restart_at is not None:
                if now >= service.restart_at:
                    service.restarts += 1
                    service.start()
                continue
            code = service.process.poll() if service.process else None
            if code is None:
                continue
            # The main process is gone: make sure its children are too (a pool worker
            # left behind would hold a job while the new worker cannot claim it).
            service.signal_group(signal.SIGKILL)
            if not service.restart:
                log(f"{service.name} exited with code {code}: stopping")
                self.exit_code = code or 0
                self.stopping = True
                return
            ran = now - service.started_at
            if ran >= HEALTHY_RUN:
                service.backoff = BACKOFF_FIRST
            log(f"{service.name} exited with code {code}; restarting in {service.backoff:.0f} s")
            service.restart_at = now + service.backoff
            service.backoff = min(BACKOFF_MAX, service.backoff * 2)

    def stop(self) -> None:
        log("stopping")
        for service in self.services:
            if service.restart_at is None:
                service.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(s.group_alive() for s in self.services):
            time.sleep(0.1)
        for service in self.services:
            if service.group_alive():
                log(f"{service.name} did not stop within {self.grace:.0f} s: killing it")
                service.signal_group(signal.SIGKILL)
        for service in self.services:
            if service.process is not None:
                try:
                    service.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    log(f"{service.name} (pid {service.process.pid}) is still there")
        log("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "2"))
    )
    parser.add_argument(
        "--batch-threads", type=int, default=int(os.environ.get("BATCH_WORKER_THREADS", "10"))
    )
    parser.add_argument("--grace", type=float, default=float(os.environ.get("RUN_STOP_GRACE", "5")))
    args = parser.parse_args(argv)
    var_dir = os.environ.get("VAR_DIR", "var")
    os.makedirs(var_dir, exist_ok=True)
    supervisor = Supervisor(
        services(
            port=args.port,
            concurrency=args.concurrency,
            python=sys.executable,
            var_dir=var_dir,
            batch_threads=args.batch_threads,
        ),
        grace=args.grace,
    )
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
