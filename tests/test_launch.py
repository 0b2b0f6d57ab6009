"""The one-command start, used exactly as the article's clients use the service.

`launch.py` runs the web server and a worker cluster; the article's Python calls (requests,
Bearer token, status_code == 200, poll until completed, read video_id) work unchanged; the
MP4 has 8 * duration + 1 frames at the requested size and 8 fps; Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support.live import ROOT, free_port, pid_alive
from tests.support.media import moov_before_mdat, probe_video
from tests.support.waiting import eventually

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("launch-data")
    port = free_port()
    log_path = data_dir / "launch.log"
    env = {k: v for k, v in os.environ.items() if k not in {"COGVIDEO_DATA_DIR", "COGVIDEO_MODEL"}}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "launch.py", "--port", str(port), "--model", "tiny-random", "--data-dir", str(data_dir)],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    token = None
    try:
        token = eventually(lambda: _up(port) and read_token(data_dir), timeout=90, what="launch.py to come up")
    finally:
        assert token, log_path.read_text(errors="replace")
    yield {"process": process, "port": port, "token": token, "data_dir": data_dir, "log": log_path}
    if process.poll() is None:
        process.kill()


def read_token(data_dir) -> str | None:
    """The API token from the owner-only credentials file launch.py writes on first start."""
    path = data_dir / "admin-credentials.txt"
    match = re.search(r"api token: (\w+)", path.read_text()) if path.exists() else None
    return match.group(1) if match else None


def _up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_first_start_says_where_the_login_is_and_keeps_it_private(launched):
    """Output that is not a terminal (a log file here, a log collector in production) gets
    where to read the password and token, never the secrets themselves."""
    log = launched["log"].read_text()
    credentials = launched["data_dir"] / "admin-credentials.txt"
    assert f"its password and API token are in {credentials}" in log
    password = re.search(r"password: (\S+)", credentials.read_text()).group(1)
    assert password not in log and launched["token"] not in log
    assert credentials.stat().st_mode & 0o077 == 0
    assert (launched["data_dir"] / "secret_key").stat().st_mode & 0o077 == 0


def test_article_python_flow_gets_a_playable_mp4(launched, tmp_path):
    api_base_url = f"http://127.0.0.1:{launched['port']}"
    headers = {"Authorization": f"Bearer {launched['token']}", "Content-Type": "application/json"}
    payload = {
        "prompt": "A beautiful sunset over the ocean with waves crashing",
        "duration": 4,
        "resolution": "512x512",
        "enhance_quality": True,
    }
    response = requests.post(f"{api_base_url}/api/generate", headers=headers, data=json.dumps(payload), timeout=30)
    assert response.status_code == 200
    task_id = response.json()["task_id"]

    seen, progress_seen, video_id = [], [], None
    deadline = time.time() + 300
    while time.time() < deadline:
        status_response = requests.get(f"{api_base_url}/api/status/{task_id}", headers=headers, timeout=10)
        assert status_response.status_code == 200
        info = status_response.json()
        seen.append(info.get("status"))
        if info["status"] == "completed":
            video_id = info.get("video_id")
            break
        assert info["status"] != "failed", info.get("error")
        if info["status"] == "processing":
            progress_seen.append(info.get("progress", 0))
        time.sleep(0.5)
    assert video_id, seen
    assert seen[0] in {"queued", "processing"}
    assert "processing" in seen and all(0 <= p <= 100 for p in progress_seen)
    assert progress_seen == sorted(progress_seen)

    download = requests.get(f"{api_base_url}/api/download/{video_id}", headers=headers, timeout=30)
    assert download.status_code == 200 and download.headers["Content-Type"] == "video/mp4"
    path = tmp_path / "video.mp4"
    path.write_bytes(download.content)
    info = probe_video(path)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (512, 512)
    assert info["frames"] == 8 * 4 + 1
    assert info["fps"] == 8
    assert moov_before_mdat(path)

    answer = requests.get(f"{api_base_url}/api/system/status", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    system = answer.json()
    assert system["model"]["id"] == "tiny-random" and system["workers"]["alive"] == 1
    assert system["device"] == "cpu" and "queued" in system["queue"]


def test_ctrl_c_stops_web_and_worker(launched):
    process = launched["process"]
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 3  # gunicorn, the GPU cluster and the events cluster
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0
    eventually(lambda: not any(pid_alive(int(pid)) for pid in children), timeout=30, what="the children to exit")
    assert not _up(launched["port"])
