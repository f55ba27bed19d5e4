"""Production settings pass Django's deploy check; every page carries the security headers."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-key-1f9c2e7d5b3a8c6e4f0d2b9a7c5e3f1d8b6a4c2e",
    "ALLOWED_HOSTS": "studio.example.com",
    "SITE_URL": "https://studio.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://studio.example.com",
    "BEHIND_PROXY": "true",
}


def deploy_check(tmp_path, **overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TESTING", "DATABASE_URL", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT"}
    }
    env.update(PRODUCTION, VAR_DIR=str(tmp_path), **overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_documented_production_settings_pass_the_deploy_check(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_notices_hsts_switched_off(tmp_path):
    result = deploy_check(tmp_path, SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_settings_values(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"TESTING", "DATABASE_URL"}}
    env.update(PRODUCTION, VAR_DIR=str(tmp_path))
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.TRUSTED_PROXY_COUNT)"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.split() == ["True", "31536000", "False", "True", "True", "1"], out.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/health/", "/s/unknown-token/"])
def test_public_pages_carry_csp_and_permissions_policy(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    # Our own scripts only; WebAssembly may compile (the 3D viewer's decoders), never eval.
    assert directives["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in csp
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]


def test_signed_in_pages_carry_csp(alice_client):
    response = alice_client.get("/library/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_templates_have_no_inline_script_or_handlers():
    """Inline script would be blocked by the policy: it belongs in static/js."""
    offenders = []
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
    templates = [
        path
        for path in ROOT.rglob("templates/**/*.html")
        if not {".venv", "node_modules", "var"} & set(path.relative_to(ROOT).parts)
    ]
    assert len(templates) > 20
    for template in templates:
        text = template.read_text()
        if inline_script.search(text) or handler.search(text) or "javascript:" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.django_db
def test_csp_reports_are_logged_not_stored(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://studio.example.com/library/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level("WARNING", logger="imagestudio.security"):
        response = client.post(
            "/csp-report/", json.dumps(report), content_type="application/csp-report"
        )
    assert response.status_code == 204
    assert "script-src-elem" in caplog.text
    assert client.post("/csp-report/", "not json", content_type="text/plain").status_code == 400
    assert client.get("/csp-report/").status_code == 405
