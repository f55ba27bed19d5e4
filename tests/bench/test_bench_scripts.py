"""Each bench script still starts and ends with its RESULT line, at tiny sizes.

The benches themselves never run in the suite (``make bench`` lists them). These runs
use a throw-away SQLite database and media folder, whatever database the suite uses, so
they never touch a real archive; the figures they print mean nothing at these sizes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(var_dir: Path, extra_env: dict | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "TESTING"}
    }
    return env | {
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        **(extra_env or {}),
    }


@pytest.fixture(scope="module")
def tmp_path(tmp_path_factory):
    """One throw-away SQLite database for every bench here, migrated once."""
    var_dir = tmp_path_factory.mktemp("bench")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=_env(var_dir),
        check=True,
        timeout=300,
    )
    return var_dir


def run_bench(
    tmp_path, script: str, *args: str, timeout: int = 240, extra_env: dict | None = None
) -> dict[str, str]:
    env = _env(tmp_path, extra_env)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), done.stdout[-2000:]
    return dict(re.findall(r"(\w+)=(\S+)", last))


def test_library_bench_starts(tmp_path):
    result = run_bench(tmp_path, "library.py", "--sizes", "250", "--runs", "2")
    assert result["database"] == "sqlite"
    assert result["assets"] == "250"
    assert float(result["typo_search_p95_ms"]) > 0


def test_thumbs_bench_starts(tmp_path):
    result = run_bench(tmp_path, "thumbs.py", "--uploads", "2", "--workers", "1")
    assert float(result["thumbs_per_s"]) > 0


def test_social_pack_bench_starts(tmp_path):
    result = run_bench(tmp_path, "social_pack.py", "--small", "--repeat", "1")
    assert float(result["speedup"]) > 0


@pytest.mark.skipif(not (Path(sys.executable).parent / "gunicorn").exists(), reason="no gunicorn")
def test_web_bench_starts(tmp_path):
    result = run_bench(
        tmp_path,
        "web.py",
        "--requests",
        "12",
        "--clients",
        "2",
        "--workers",
        "1",
        "--assets",
        "250",
    )
    assert result["errors"] == "0"
    assert float(result["rps"]) > 0


@pytest.mark.services
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
def test_jobs_bench_starts(tmp_path):
    result = run_bench(
        tmp_path,
        "jobs.py",
        "--jobs",
        "3",
        "--workers",
        "1",
        extra_env={"REDIS_URL": os.environ["REDIS_URL"]},
    )
    assert result["jobs"] == "3"
    assert float(result["jobs_per_s"]) > 0
    assert float(result["drain_jobs_per_s"]) > 0
