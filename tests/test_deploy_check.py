"""`manage.py check --deploy` is clean with the production settings from docs/DEPLOY.md."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

from tests.support.live import ROOT


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "COGVIDEO_DATA_DIR": str(tmp_path / "data"),
        "COGVIDEO_SECRET_KEY": secrets.token_urlsafe(50),
        "COGVIDEO_HTTPS": "1",
        "COGVIDEO_ALLOWED_HOSTS": "video.example.com",
        "COGVIDEO_CSRF_TRUSTED_ORIGINS": "https://video.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert (tmp_path / "data").stat().st_mode & 0o077 == 0  # the data folder is owner-only


def test_default_settings_are_not_silently_production_ready(tmp_path):
    env = {**os.environ, "COGVIDEO_DATA_DIR": str(tmp_path / "data")}
    env.pop("COGVIDEO_HTTPS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "SECURE_HSTS_SECONDS" in result.stderr + result.stdout


# --- /metrics as documented: env file + nginx in front ------------------------------------------

DEPLOY_GUIDE = ROOT / "docs" / "DEPLOY.md"
OUTSIDE_CLIENT = "203.0.113.7"

PROBE = """
import json, os
import django
django.setup()
from django.test import Client, RequestFactory, override_settings
from monitoring.access import check_metrics_access

headers = json.loads(os.environ["PROBE_HEADERS"])
nginx = Client(REMOTE_ADDR="127.0.0.1")  # nginx on the same host is the TCP peer
token = os.environ["COGVIDEO_METRICS_TOKEN"]
out = {
    "no_token": nginx.get("/metrics", **headers).status_code,
    "wrong_token": nginx.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **headers).status_code,
    "right_token_passes": check_metrics_access(
        RequestFactory().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer " + token, **headers)
    ) is None,
}
with override_settings(COGVIDEO_METRICS_TOKEN=""):  # the guide without its token line
    out["guide_without_token"] = nginx.get("/metrics", **headers).status_code
print(json.dumps(out))
"""


def documented_env(tmp_path) -> dict[str, str]:
    """The guide's environment file, placeholders filled, with local folders and the embedded
    database instead of the guide's PostgreSQL and Redis hosts."""
    text = DEPLOY_GUIDE.read_text()
    block = text.split("## Environment file", 1)[1].split("```", 2)[1]
    env = {}
    for line in block.strip().splitlines():
        name, _, value = line.partition("=")
        env[name.strip()] = secrets.token_urlsafe(32) if value.startswith("<") else value.strip()
    assert "COGVIDEO_SECRET_KEY" in env and "COGVIDEO_ALLOWED_HOSTS" in env, block
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    env["COGVIDEO_DATA_DIR"] = str(tmp_path / "data")
    env["COGVIDEO_MEDIA_ROOT"] = str(tmp_path / "media")
    return env


def nginx_headers(host: str) -> dict[str, str]:
    """The headers the guide's nginx `location /` adds for an outside HTTPS client, as Django
    META keys."""
    text = DEPLOY_GUIDE.read_text()
    location = text.split("location / {", 1)[1].split("}", 1)[0]
    values = {"$host": host, "$scheme": "https", "$proxy_add_x_forwarded_for": OUTSIDE_CLIENT}
    headers = {}
    for line in location.splitlines():
        parts = line.strip().rstrip(";").split()
        if parts[:1] == ["proxy_set_header"]:
            headers["HTTP_" + parts[1].upper().replace("-", "_")] = values[parts[2]]
    assert "HTTP_X_FORWARDED_FOR" in headers, location
    return headers


def test_documented_deployment_refuses_metrics_to_a_forwarded_outside_client(tmp_path):
    env = documented_env(tmp_path)
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("COGVIDEO_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    headers = nginx_headers(env["COGVIDEO_ALLOWED_HOSTS"].split(",")[0])
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "cogvideo_site.settings", "PROBE_HEADERS": json.dumps(headers)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    probed = json.loads(result.stdout.strip().splitlines()[-1])
    assert probed == {"no_token": 401, "wrong_token": 401, "right_token_passes": True, "guide_without_token": 403}
