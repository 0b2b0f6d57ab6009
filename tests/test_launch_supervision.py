"""launch.py supervises what it starts: a GPU cluster killed with kill -9 is restarted (the
web tier stays up, no job is lost, no orphaned worker stays beside the new one); a closed
terminal (SIGHUP) or a kill -9 of launch.py leaves no process behind; a second launch on the
same data folder refuses while the first (or what it started) still runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.support.live import ROOT, descendants, free_port, pid_alive, tiny_job
from tests.support.waiting import eventually
from tests.test_launch import _up, read_token

pytestmark = pytest.mark.live


def launch(data_dir, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"COGVIDEO_DATA_DIR", "COGVIDEO_MODEL"}}
    log = open(data_dir.parent / f"launch-{port}.log", "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(
        [sys.executable, "launch.py", "--port", str(port), "--model", "tiny-random", "--data-dir", str(data_dir)],
        cwd=ROOT,
        # A killed worker's last heartbeat counts as live until it is stale: 10 s here, not 60,
        # so "exactly one live worker" is decided soon (an orphan that ran on would beat on).
        env={**env, "PYTHONUNBUFFERED": "1", "COGVIDEO_PRELOAD_MODEL": "0", "COGVIDEO_STALE_AFTER_SECONDS": "10"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def started(process: subprocess.Popen, data_dir, port: int) -> list[int]:
    """Wait until the service answers and both clusters run; their processes then."""
    eventually(lambda: _up(port) and read_token(data_dir), timeout=120, what="launch.py to come up")
    # gunicorn (master + 2 workers) and two clusters (parent, sentinel, pusher, monitor, workers)

    def all_children() -> list[int] | None:
        found = descendants(process.pid)
        return found if len(found) >= 11 else None

    return eventually(all_children, what="every child process")


def direct_child(process: subprocess.Popen, *, command: str, without_env: str = "") -> int:
    """The pid of launch.py's child whose command line holds `command` (and whose environment
    lacks `without_env`)."""
    for pid in descendants(process.pid):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode()
            environ = open(f"/proc/{pid}/environ", "rb").read().decode() if without_env else ""
            parent = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if parent == process.pid and command in cmdline and (not without_env or without_env not in environ):
            return pid
    raise AssertionError(f"launch.py has no child running {command}")


def test_a_killed_cluster_is_restarted_sighup_stops_everything_and_a_second_launch_refuses(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    first = launch(data_dir, port)
    try:
        processes = started(first, data_dir, port)
        second = subprocess.run(
            [sys.executable, "launch.py", "--port", str(free_port()), "--data-dir", str(data_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert f"Another launch.py (pid {first.pid}) is running on {data_dir}" in second.stderr

        # kill -9 of the GPU cluster's parent: the web tier stays up, launch.py clears the
        # orphaned workers and starts one new cluster, and the jobs complete.
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {read_token(data_dir)}"}
        )
        cluster = direct_child(first, command="qcluster", without_env="Q_CLUSTER_NAME=")
        old_workers = descendants(cluster)
        task_ids = [http.post("/api/generate", json=tiny_job(prompt=f"clip {i}")).json()["task_id"] for i in range(2)]
        os.kill(cluster, signal.SIGKILL)
        assert http.get("/api/health").status_code == 200
        eventually(lambda: not [pid for pid in old_workers if pid_alive(pid)], timeout=60, what="the orphans to go")

        def finished() -> list[str] | None:
            bodies = [http.get(f"/api/status/{t}").json() for t in task_ids]
            assert all("status" in body for body in bodies), bodies
            states = [body["status"] for body in bodies]
            return states if all(s in {"completed", "failed", "canceled"} for s in states) else None

        assert eventually(finished, timeout=180, interval=1, what="the jobs to finish") == ["completed", "completed"]
        new_cluster = direct_child(first, command="qcluster", without_env="Q_CLUSTER_NAME=")
        assert new_cluster != cluster

        def one_worker_of_the_new_cluster() -> bool:
            workers = http.get("/api/system/status").json()["workers"]["list"]
            return len(workers) == 1 and workers[0]["pid"] in descendants(new_cluster)

        eventually(
            one_worker_of_the_new_cluster, timeout=60, interval=0.5, what="exactly one live worker, of the new cluster"
        )
        assert "restarting it in 1 s" in (data_dir.parent / f"launch-{port}.log").read_text()
        processes = [*processes, *descendants(first.pid)]

        first.send_signal(signal.SIGHUP)  # what closing its terminal sends
        assert first.wait(120) == 0
        eventually(lambda: not [pid for pid in processes if pid_alive(pid)], timeout=60, what="every child to exit")
        assert not _up(port)
    finally:
        if first.poll() is None:
            first.kill()


def test_kill_9_of_launch_py_leaves_no_process_behind(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    process = launch(data_dir, port)
    processes = started(process, data_dir, port)
    process.kill()
    process.wait()
    eventually(lambda: not [pid for pid in processes if pid_alive(pid)], timeout=90, what="every child to exit")
    assert not _up(port)
