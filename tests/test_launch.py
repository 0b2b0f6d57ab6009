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

from tests.support.live import ROOT, free_port
from tests.support.media import moov_before_mdat, probe_video

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
    deadline = time.monotonic() + 90
    token = None
    while time.monotonic() < deadline and token is None:
        match = re.search(r"API token: (\w+)", log_path.read_text(errors="replace"))
        if match and _up(port):
            token = match.group(1)
        time.sleep(0.3)
    assert token, log_path.read_text(errors="replace")
    yield {"process": process, "port": port, "token": token, "data_dir": data_dir, "log": log_path}
    if process.poll() is None:
        process.kill()


def _up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_first_start_prints_login_and_keeps_credentials_private(launched):
    log = launched["log"].read_text()
    assert "username: admin" in log and re.search(r"password: \S{12,}", log)
    credentials = launched["data_dir"] / "admin-credentials.txt"
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
    time.sleep(0.5)
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert not _up(launched["port"])
