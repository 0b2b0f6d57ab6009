"""`generate_batch` against the real service: the command runs as its own process on the
`live` service's data folder, and the live django-q2 cluster runs the jobs with the tiny
model. Follow, copy out, report, re-run, exit codes, resume after Ctrl-C, priority."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import pty
import signal
import struct
import termios
import uuid
from pathlib import Path

import pytest

from tests.support.live import tiny_job
from tests.support.media import probe_video
from tests.support.waiting import eventually

from .batch_support import TINY, cancel_queued, jobs_with, pty_reader, run_json, spawn, tag

pytestmark = pytest.mark.live


def test_csv_batch_with_progress_bar_videos_and_report_then_rerun_adds_nothing(live, live_tokens, owner_http, tmp_path):
    word = tag()
    source = tmp_path / "batch.csv"
    source.write_text(
        "prompt,seed,metadata\n"
        f"a red fox in snow {word},3,\n"
        f'a lighthouse at dusk {word},,"{{""post"": 7}}"\n'
        f"a paper boat on a river {word},5,\n"
    )
    out, report = tmp_path / "videos", tmp_path / "results.csv"
    args = ["generate_batch", str(source), "--owner", "alice", *TINY, "--out", str(out), "--report", str(report)]

    # A real terminal on stderr, so the rich progress bar draws itself.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    chunks, reader = pty_reader(master)
    process = spawn(live, *args, stderr=slave)
    os.close(slave)
    stdout, _ = process.communicate(timeout=180)
    reader.join(5)
    os.close(master)
    screen = b"".join(chunks).decode(errors="replace")
    assert process.returncode == 0, stdout + screen[-3000:]
    assert "submitted" in screen and "finished" in screen and "3/3" in screen
    assert "completed 3" in screen and "━" in screen
    assert "3 rows: 3 completed (3 submitted now, 0 from an earlier run)." in stdout

    rows = list(csv.DictReader(report.open()))
    assert [r["row"] for r in rows] == ["2", "3", "4"]
    assert list(rows[0]) == ["row", "prompt", "task_id", "status", "video_id", "file", "seconds", "error"]
    assert {r["status"] for r in rows} == {"completed"} and {r["error"] for r in rows} == {""}
    files = sorted(out.iterdir())
    assert [Path(r["file"]) for r in rows] == [out / f.name for f in files]
    assert files[0].name == f"row0002-a-red-fox-in-snow-{word}-{rows[0]['task_id'][:8]}.mp4"
    for row in rows:
        assert float(row["seconds"]) > 0
        status = owner_http.get(f"/api/status/{row['task_id']}").json()
        assert status["video_id"] == row["video_id"] and status["status"] == "completed"
        assert hashlib.sha256(Path(row["file"]).read_bytes()).hexdigest() == status["video"]["sha256"]
    assert owner_http.get(f"/api/status/{rows[1]['task_id']}").json()["metadata"] == {"post": 7}
    info = probe_video(files[0])
    assert (info["codec"], info["width"], info["height"], info["frames"]) == ("h264", 64, 64, 9)

    # The same command again: nothing new is generated, the report and files are the same.
    code, doc = run_json(live, *args)
    assert code == 0
    assert doc["summary"] == {"rows": 3, "completed": 3, "existed": 3, "submitted_now": 0}
    assert [r["task_id"] for r in doc["rows"]] == [r["task_id"] for r in rows]
    assert sorted(out.iterdir()) == files
    assert len(jobs_with(live, word)) == 3


def test_exit_code_is_non_zero_when_a_row_does_not_complete(live, live_tokens, owner_http, tmp_path):
    word = tag()
    source = tmp_path / "batch.jsonl"
    source.write_text(
        f'{{"prompt": "a small owl {word}"}}\n'
        f'{{"prompt": "a quick cat {word}"}}\n'
        f'{{"prompt": "a typo {word}", "duration": "one"}}\n'
    )
    process = spawn(
        live, "generate_batch", str(source), "--owner", "alice", *TINY, "--wait", "--skip-invalid", "--json"
    )
    jobs = eventually(lambda: len(jobs_with(live, word)) == 2 and jobs_with(live, word), interval=0.05, what="two jobs")
    # Cancel the second row while it waits behind the first: the batch cannot all complete.
    assert owner_http.post(f"/api/cancel/{uuid.UUID(str(jobs[1][0]))}").status_code == 200
    stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 1, stderr[-3000:]
    doc = json.loads(stdout)
    assert [(r["row"], r["status"]) for r in doc["rows"]] == [(1, "completed"), (2, "canceled"), (3, "invalid")]
    assert "Must be a whole number" in doc["rows"][2]["error"]
    assert doc["exit_code"] == 1


def test_ctrl_c_mid_submission_then_resume_submits_only_the_missing_rows(stopped_cluster, live_tokens, tmp_path):
    live, word = stopped_cluster, tag()
    source = tmp_path / "batch.txt"
    source.write_text("".join(f"scene {n} of a long story {word}\n" for n in range(1, 41)))
    args = ["generate_batch", str(source), "--owner", "alice", *TINY]
    try:
        # 1. Ctrl-C while rows are being submitted (a window of 25 makes sure the command is
        #    still running when the signal comes, however fast it submits).
        first = spawn(live, *args, "--max-queued", "25")
        eventually(lambda: len(jobs_with(live, word)) >= 3, interval=0.01, what="the first rows")
        first.send_signal(signal.SIGINT)
        stdout, _ = first.communicate(timeout=60)
        assert first.returncode == 130, stdout
        assert "Interrupted. Run the same command again to resume" in stdout
        after_first = jobs_with(live, word)
        assert 3 <= len(after_first) <= 25

        # 2. Resume with a batch window 10 jobs wider: it submits up to the window, waits for
        #    room (no workers run), and is stopped with `kill` (SIGTERM) while waiting.
        window = len(after_first) + 10
        progress = tmp_path / "second-run.progress"
        with open(progress, "w") as progress_file:
            second = spawn(live, *args, "--max-queued", str(window), "--progress", "lines", stderr=progress_file)
        # Wait for the state (the command says it waits for room), not for a while.
        eventually(lambda: "waiting for queue room" in progress.read_text(), timeout=120, what="waiting for room")
        assert second.poll() is None
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=60)
        err = progress.read_text()
        assert second.returncode == 130 and "Interrupted" in out
        assert f"submitted {window}/40" in err and "waiting for queue room" in err
        after_second = jobs_with(live, word)
        assert len(after_second) == window and after_second[: len(after_first)] == after_first

        # 3. Resume to the end: only the missing rows are submitted, the rest are found.
        code, doc = run_json(live, *args, "--max-queued", "40")
        assert code == 0
        assert doc["summary"]["existed"] == window and doc["summary"]["submitted_now"] == 40 - window
        final = jobs_with(live, word)
        assert len(final) == 40 and final[:window] == after_second
        assert len({row[1] for row in final}) == 40  # one job per row, no duplicates
        assert sorted(str(uuid.UUID(str(row[0]))) for row in final) == sorted(r["task_id"] for r in doc["rows"])
    finally:
        cancel_queued(live, word)


def test_an_interactive_job_starts_before_queued_batch_jobs(stopped_cluster, live_tokens, owner_http, tmp_path):
    live, word = stopped_cluster, tag()
    source = tmp_path / "batch.txt"
    source.write_text("".join(f"batch clip {n} {word}\n" for n in range(1, 21)))
    try:
        code, doc = run_json(live, "generate_batch", str(source), "--owner", "alice", *TINY)
        assert code == 0 and doc["summary"]["queued"] == 20
        batch_ids = [r["task_id"] for r in doc["rows"]]
        response = owner_http.post("/api/generate", json=tiny_job(prompt=f"an editor's request {word}"))
        assert response.status_code == 200 and response.json()["queue_position"] == 1
        interactive = response.json()["task_id"]

        live.start_cluster()
        done = live.wait_for(owner_http, interactive, timeout=120)
        assert done["status"] == "completed"

        def batch_started() -> bool:
            return any(str(uuid.UUID(str(row[0]))) in batch_ids and row[2] != "queued" for row in jobs_with(live, word))

        # Let the worker move on to the batch, then stop the rest of it (20 runs take long).
        eventually(batch_started, timeout=60, interval=0.05, what="a batch job to start")
        assert (
            live.manage("jobs", "cancel", "--status", "queued", "--source", "batch", "--owner", "alice").returncode == 0
        )
        eventually(
            lambda: all(row[2] != "processing" for row in jobs_with(live, word)), timeout=60, what="batch to settle"
        )
        batch = [owner_http.get(f"/api/status/{task_id}").json() for task_id in batch_ids]
        started = [b["started_at"] for b in batch if b["started_at"]]
        # The interactive job was queued last and still ran first; no batch job started
        # before it, and the batch jobs that did run ran oldest first.
        assert all(done["started_at"] < when for when in started), (done["started_at"], started)
        assert started and started == sorted(started)
        # Batch jobs that started ran to the end; the others were canceled while queued.
        assert all((b["status"] == "completed") == bool(b["started_at"]) for b in batch)
        assert all(b["status"] in ("completed", "canceled") for b in batch)
    finally:
        cancel_queued(live, word)
