"""The fake servers themselves: start_all, the command line, and faithful rejections."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from providers.fakes import FAKES, env_for, start_all
from providers.fakes.media import make_glb, make_mp4
from providers.fakes.server import parse_multipart

ROOT = Path(__file__).resolve().parents[2]


def test_start_all_serves_every_provider_and_stops():
    servers = start_all()
    try:
        assert set(servers) == set(FAKES)
        env = env_for(servers)
        assert env["STABILITY_API_BASE"].startswith("http://127.0.0.1:")
        assert env["WAVESPEED_API_BASE"].endswith("/api/v3")
        assert env["GEMINI_API_BASE"].endswith("/v1beta")
        assert env["OPENAI_API_BASE"].endswith("/v1")
        ports = {s.port for s in servers.values()}
        assert len(ports) == len(servers)
        with httpx.Client() as client:
            r = client.get(
                f"{servers['stability'].base_url}/v1/user/balance",
                headers={"authorization": f"Bearer {servers['stability'].api_key}"},
            )
        assert r.json() == {"credits": 1000.0}
        assert servers["stability"].requests[0].path == "/v1/user/balance"
    finally:
        for server in servers.values():
            server.stop()


def test_module_prints_env_and_runs_until_stopped():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "providers.fakes"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline().strip() for _ in range(10)]
        values = dict(line.split("=", 1) for line in lines)
        assert set(values) >= {
            "STABILITY_API_BASE",
            "WAVESPEED_API_BASE",
            "HF_API_BASE",
            "GEMINI_API_BASE",
            "OPENAI_API_BASE",
            "HF_TOKEN",
        }
        base = values["OPENAI_API_BASE"]
        with httpx.Client() as client:
            r = client.post(
                f"{base}/images/generations",
                json={"model": "gpt-image-1", "prompt": "x"},
                headers={"authorization": f"Bearer {values['OPENAI_API_KEY']}"},
            )
        assert r.status_code == 200 and r.json()["data"][0]["b64_json"]
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_stability_fake_rejects_urlencoded_posts(stability_fake):
    with httpx.Client() as client:
        r = client.post(
            f"{stability_fake.base_url}/v2beta/stable-image/generate/core",
            data={"prompt": "x"},
            headers={"authorization": f"Bearer {stability_fake.api_key}"},
        )
    assert r.status_code == 400
    body = r.json()
    assert body["name"] == "bad_request" and body["errors"] and body["id"]


def test_stability_fake_requires_a_bearer_key(stability_fake):
    with httpx.Client() as client:
        r = client.post(
            f"{stability_fake.base_url}/v2beta/stable-image/generate/core",
            files={"prompt": (None, "x")},
        )
    assert r.status_code == 401


def test_multipart_parser_keeps_binary_parts_intact():
    payload = bytes(range(256)) * 3 + b"\r\n--not-a-boundary\r\n"
    request = httpx.Request(
        "POST",
        "http://x/",
        files=[
            ("prompt", (None, "héllo")),
            ("image", ("a.bin", payload, "application/octet-stream")),
        ],
    )
    body = request.read()
    form, files = parse_multipart(body, request.headers["content-type"])
    assert form == {"prompt": "héllo"}
    assert files["image"][0].data == payload
    assert files["image"][0].filename == "a.bin"


def test_media_fixtures_have_the_right_shape():
    glb = make_glb(4096)
    assert glb[:4] == b"glTF" and int.from_bytes(glb[8:12], "little") == len(glb)
    mp4 = make_mp4(10_000)
    assert len(mp4) == 10_000 and mp4[4:8] == b"ftyp"
