"""The studio under load: gunicorn (3 workers, the README's production shape) on loopback,
20 concurrent clients, a fixed number of requests to the library page and an image page.

Settings are production-like (DEBUG off, compressed static files collected into a
temporary folder); the database is the configured one (PostgreSQL when DATABASE_URL is
set). The bench seeds its own user ``bench-web`` with an archive, signs it in with a
session of its own, then every client thread sends its share of requests over a
keep-alive connection. Nothing leaves 127.0.0.1; the run stops by itself.

    .venv/bin/python bench/web.py                          # 2,000 requests, 5,000 assets
    .venv/bin/python bench/web.py --requests 200 --assets 500   # a quick run

Last line: ``RESULT rps=… p95_ms=… library_p95_ms=… image_p95_ms=… errors=…``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Static files are collected (and, on SQLite, the database kept) in VAR_DIR: a temporary
# folder unless one is given.
OWN_VAR_DIR = "VAR_DIR" not in os.environ
VAR_DIR = tempfile.mkdtemp(prefix="bench-web-") if OWN_VAR_DIR else os.environ["VAR_DIR"]
ENV = {
    "DJANGO_SETTINGS_MODULE": "imagestudio.settings",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "VAR_DIR": VAR_DIR,
}
os.environ.update(ENV)

USER = "bench-web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(assets: int) -> tuple[str, str]:
    """Migrate, collect static files, seed ``bench-web``; returns (session key, an asset id)."""
    import random
    from importlib import import_module

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.core.management import call_command
    from django.db import connection

    from assets.models import Asset, Collection, Tag

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    import library  # the library bench's seeding (COPY on PostgreSQL)

    db = settings.DATABASES["default"]
    print(f"database: {connection.vendor} {db.get('NAME')}  cpus: {os.cpu_count()}")
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=USER, defaults={"email": f"{USER}@example.com"})
    have = Asset.objects.filter(owner=user).count()
    if have < assets:
        Asset.objects.filter(owner=user).update(parent=None, root=None, stacked_under=None)
        Asset.objects.filter(owner=user).delete()
        Tag.objects.filter(owner=user).delete()
        Collection.objects.filter(owner=user).delete()
        Tag.objects.bulk_create([Tag(owner=user, name=f"web {i}") for i in range(30)])
        Collection.objects.bulk_create([Collection(owner=user, name=f"Web {i}") for i in range(5)])
        library.seed(user, [], have=0, want=assets, rng=random.Random(7))
    if connection.vendor == "postgresql":
        # Where autovacuum gets a live database: planner statistics and a visibility map,
        # without which a freshly loaded table has no index-only scans.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # The configured engine's store, so a cached session starts in the cache too.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    asset = Asset.objects.filter(owner=user, kind="image", stacked_under=None).latest("created_at")
    connection.close()
    return session.session_key, str(asset.public_id)


def client(port, paths, session, out, errors):
    """Send ``paths`` one after another, as one browser would; record (path, ms) per answer.

    The standard library's HTTP client rather than httpx: twenty of these threads share
    the cores with the server, and httpx spends several times the CPU per request, which
    would show up as server latency. The connection reopens by itself when gunicorn closes
    it (its sync workers answer one request per connection).
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": f"sessionid={session}", "Host": "127.0.0.1"}
    try:
        for path in paths:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
            if ok:
                out.append((path, elapsed))
            else:
                errors.append(path)
    finally:
        conn.close()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its children so far; Linux's /proc only."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            pids += [int(p) for p in fh.read().split()]
        for p in pids:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        return float("nan")
    return total


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))] if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--assets", type=int, default=5000)
    args = parser.parse_args()

    session, asset_id = prepare(args.assets)
    library_path, image_path = "/library/", f"/library/{asset_id}/"
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "imagestudio.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        # Warm every worker (imports, templates, connections, tiles), not timed: one client
        # after another would mostly reach the same worker, so several at once.
        warmers = [
            threading.Thread(
                target=client, args=(port, [library_path, image_path] * 4, session, [], [])
            )
            for _ in range(args.workers * 2)
        ]
        for t in warmers:
            t.start()
        for t in warmers:
            t.join()
        print(
            f"gunicorn: {args.workers} workers on 127.0.0.1:{port}; {args.clients} clients, "
            f"{args.requests} requests alternating {library_path} and an image page"
        )
        paths = [library_path if i % 2 == 0 else image_path for i in range(args.requests)]
        shares = [paths[i :: args.clients] for i in range(args.clients)]
        results: list[tuple[str, float]] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=client, args=(port, share, session, results, errors))
            for share in shares
        ]
        server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        server_cpu = _cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if OWN_VAR_DIR:
            shutil.rmtree(VAR_DIR, ignore_errors=True)

    all_ms = [ms for _, ms in results]
    lib_ms = [ms for p, ms in results if p == library_path]
    img_ms = [ms for p, ms in results if p == image_path]
    rps = len(results) / wall
    print(f"library page: median {statistics.median(lib_ms):6.1f} ms  p95 {_p95(lib_ms):6.1f} ms")
    print(f"image page:   median {statistics.median(img_ms):6.1f} ms  p95 {_p95(img_ms):6.1f} ms")
    print(f"{len(results)} ok, {len(errors)} errors in {wall:.1f} s: {rps:.0f} requests/s")
    # CPU per request says what the server costs whatever else shares the machine; the
    # load average says how much did.
    print(
        f"CPU per request: server {server_cpu / args.requests * 1000:.1f} ms, "
        f"clients {client_cpu / args.requests * 1000:.1f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"RESULT rps={rps:.1f} p95_ms={_p95(all_ms):.1f} library_p95_ms={_p95(lib_ms):.1f} "
        f"image_p95_ms={_p95(img_ms):.1f} server_cpu_ms={server_cpu / args.requests * 1000:.1f} "
        f"errors={len(errors)} clients={args.clients} "
        f"workers={args.workers} requests={args.requests}"
    )


if __name__ == "__main__":
    main()
