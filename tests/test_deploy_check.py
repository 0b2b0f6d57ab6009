"""`manage.py check --deploy` is clean with the production settings from docs/DEPLOY.md."""

from __future__ import annotations

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
