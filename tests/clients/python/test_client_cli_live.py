"""The ``cogvideo`` command against the live service, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import CLIENT_SRC

pytestmark = pytest.mark.live

TINY_ARGS = ["--duration", "1", "--resolution", "64x64", "--steps", "2"]


def cogvideo(live, token, *args, cwd=None, stdin=None):
    env = {**os.environ, "COGVIDEO_URL": live.url, "COGVIDEO_TOKEN": token, "PYTHONPATH": str(CLIENT_SRC)}
    return subprocess.run(
        [sys.executable, "-m", "cogvideo_client", "--poll", "0.2", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generate_wait_out_writes_the_video(live, live_tokens, tmp_path):
    run = cogvideo(live, live_tokens["owner"], "generate", "a red fox in snow", *TINY_ARGS, "--wait", "--out",
                   "video.mp4", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "video.mp4"
    assert (tmp_path / "video.mp4").read_bytes()[4:8] == b"ftyp"
    assert "queued " in run.stderr and "100%" in run.stderr and "completed" in run.stderr


def test_models_then_generate_with_fit_fps_and_webm(live, live_tokens, tmp_path):
    token = live_tokens["owner"]
    listed = cogvideo(live, token, "models", "--json")
    assert listed.returncode == 0, listed.stderr
    models = json.loads(listed.stdout)
    (model,) = [entry for entry in models if entry["default"]]  # the text model requests get by default
    fps = str(model["fps"][1])
    shown = cogvideo(live, token, "models")
    assert shown.returncode == 0 and f"fps {'/'.join(map(str, model['fps']))}" in shown.stdout

    run = cogvideo(live, token, "generate", "a paper boat", *TINY_ARGS, "--fit", "pad", "--pad-color", "white",
                   "--fps", fps, "--webm", "--out", "boat.mp4", "--json", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    body = json.loads(run.stdout)
    assert body["params"]["fit"] == "pad" and body["params"]["fps"] == int(fps)
    assert body["path"] == "boat.mp4" and body["webm_path"] == "boat.webm"
    assert (tmp_path / "boat.webm").read_bytes()[:4] == b"\x1a\x45\xdf\xa3"

    bad = cogvideo(live, token, "generate", "a paper boat", *TINY_ARGS, "--fit", "squash")
    assert bad.returncode == 2 and "fit" in bad.stderr


def test_generate_then_status_and_wait(live, live_tokens, tmp_path):
    token = live_tokens["owner"]
    queued = cogvideo(live, token, "generate", "a quiet harbour", *TINY_ARGS, "--metadata", "post_id=7")
    assert queued.returncode == 0, queued.stderr
    task_id = queued.stdout.strip()  # just the id, for ID=$(cogvideo generate ...)

    waited = cogvideo(live, token, "wait", task_id, "--json")
    assert waited.returncode == 0, waited.stderr
    body = json.loads(waited.stdout)
    assert body["status"] == "completed" and body["metadata"] == {"post_id": "7"}

    shown = cogvideo(live, token, "status", task_id)
    assert shown.returncode == 0
    assert shown.stdout.startswith(f"{task_id}  100%  completed")
    assert f"video_id {body['video_id']}" in shown.stdout

    listed = cogvideo(live, token, "tasks", "--limit", "1")
    assert listed.returncode == 0 and listed.stdout.split()[:3] == [task_id, "completed", "100%"]

    fetched = cogvideo(live, token, "download", body["video_id"], "--thumbnail", "--out", str(tmp_path))
    assert fetched.returncode == 0, fetched.stderr
    assert Path(fetched.stdout.strip()).read_bytes()[:2] == b"\xff\xd8"


def test_batch_runs_a_prompt_file_with_a_progress_bar(live, live_tokens, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text(
        "# one video per line\n"
        "a koi pond in the rain\n"
        "\n"
        '{"prompt": "a lighthouse in a storm", "seed": 3}\n'
        '{"prompt": "far too long", "duration": 60}\n'
    )
    run = cogvideo(live, live_tokens["owner"], "batch", str(prompts), "-j", "2", "--out-dir", "videos", *TINY_ARGS,
                   cwd=tmp_path)  # fmt: skip
    assert run.returncode == 1, run.stderr  # one prompt failed
    lines = run.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ok", "ok", "FAIL"]
    assert "duration" in lines[2] and "far too long" in lines[2]
    assert len(list((tmp_path / "videos").glob("*.mp4"))) == 2
    bar_lines = [line for line in run.stderr.splitlines() if line.startswith("[")]
    assert bar_lines and "100%" in bar_lines[-1] and "2/3 done, 1 failed" in bar_lines[-1]
    assert "2 completed, 1 failed" in run.stderr


def test_errors_become_messages_and_exit_codes(live, live_tokens):
    bad_token = cogvideo(live, "wrong", "status", "00000000-0000-0000-0000-000000000000")
    assert bad_token.returncode == 3 and "401" in bad_token.stderr and "Traceback" not in bad_token.stderr

    missing = cogvideo(live, live_tokens["owner"], "status", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 4 and "404" in missing.stderr

    invalid = cogvideo(live, live_tokens["owner"], "generate", "x", "--duration", "60")
    assert invalid.returncode == 2 and "duration" in invalid.stderr
