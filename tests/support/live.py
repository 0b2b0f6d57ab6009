"""A real service for tests: gunicorn and a django-q2 cluster as subprocesses, on their own
data folder, running the tiny random model. Used by every live/end-to-end test module."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cogvideo_site.launcher import DEFAULT_QUEUE_NAME, ServiceProcesses, free_port, model_queue_name
from tests.support.object_store import session_store

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
ARTIFACTS = ROOT / "test-artifacts"


def pid_alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie waiting for its parent has)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """Every process below `pid` now (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(parent, []).append(int(name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def tiny_job(**overrides) -> dict:
    """The smallest request that still runs the whole pipeline."""
    body = {"prompt": "a red fox running through snow", "duration": 1, "resolution": "64x64", "num_inference_steps": 2}
    body.update(overrides)
    return body


class LiveService:
    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 1,
        extra_env: dict | None = None,
        web: bool = True,
        cluster: bool = True,
    ):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cogvideo_site.settings",
            "COGVIDEO_DATA_DIR": str(self.data_dir),
            "COGVIDEO_MODEL": "tiny-random",
            "COGVIDEO_WORKERS": str(workers),
            "COGVIDEO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "COGVIDEO_ALLOW_PRIVATE_CALLBACKS": "1",
            "COGVIDEO_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "COGVIDEO_HEARTBEAT_SECONDS": "1",
            "COGVIDEO_STALE_AFTER_SECONDS": "6",
            "PYTHONUNBUFFERED": "1",
            # Tests poll fast; rate limits have their own tests (tests/videos/api/test_throttling.py).
            "COGVIDEO_THROTTLE_BURST": "100000/minute",
            "COGVIDEO_THROTTLE_GENERATE": "100000/minute",
            # Each failed sign-in costs a password hash (about a second here): lock sooner.
            "COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT": "3",
            **(extra_env or {}),
        }
        self.database = self._own_database()
        if self.env.get("REDIS_URL"):
            # One Redis database for every test service, each cluster with its own queue and
            # cache keys; not the test process's database, which tests flush (cache.clear()).
            base, _, db = self.env["REDIS_URL"].rpartition("/")
            self.env["REDIS_URL"] = f"{base}/{(int(db or 0) + 1) % 16}"
            self.env["COGVIDEO_QUEUE_NAME"] = f"cogvideo-{self.port}"
        # Media in the session's object store (the scale-out pass): this service's own prefix,
        # as it has its own database.
        self.store = session_store() if self.env.get("COGVIDEO_S3_BUCKET") else None
        if self.store is not None and "COGVIDEO_S3_PREFIX" not in (extra_env or {}):
            self.env["COGVIDEO_S3_PREFIX"] = f"live-{self.port}"
        self.web_enabled = web
        self.cluster_enabled = cluster
        self.logs = self.data_dir / "logs"
        # The same commands and stopping rules as launch.py (cogvideo_site/launcher.py).
        self.processes = ServiceProcesses(
            self.env, logs=self.logs, stop_timeouts={"cluster": 60, "events": 30, "web": 20}
        )

    @property
    def web(self) -> subprocess.Popen | None:
        return self.processes.children.get("web")

    @property
    def cluster(self) -> subprocess.Popen | None:
        return self.processes.children.get("cluster")

    @property
    def events(self) -> subprocess.Popen | None:
        """The webhook/events cluster."""
        return self.processes.children.get("events")

    def _own_database(self) -> str | None:
        """In the scale-out configuration (DATABASE_URL set) each service gets a fresh
        PostgreSQL database, as SQLite services get a fresh file in their data folder."""
        url = self.env.get("DATABASE_URL")
        if not url:
            return None
        import psycopg

        name = f"cogvideo_live_{self.port}"
        base, _, _old = url.rpartition("/")
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.env["DATABASE_URL"] = f"{base}/{name}"
        return name

    def _drop_database(self) -> None:
        if not self.database:
            return
        import psycopg

        base = self.env["DATABASE_URL"].rpartition("/")[0]
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    # -- processes ------------------------------------------------------------------------
    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def start(self) -> LiveService:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--noinput", "-v0")
        if self.web_enabled:
            self.processes.start_web(f"127.0.0.1:{self.port}", workers=2, timeout=60)
            self.wait_until_up()
        if self.cluster_enabled:
            self.start_cluster()
        return self

    def start_cluster(self) -> subprocess.Popen:
        cluster = self.processes.start_cluster()
        if not self.processes.running("events"):
            self.processes.start_events()
        return cluster

    def stop_cluster(self, sig: int = signal.SIGTERM, timeout: float = 60) -> None:
        self.processes.stop_one("cluster", sig, timeout)

    def model_queue(self, model: str) -> str:
        """The GPU queue of a served model (as settings.COGVIDEO_MODEL_QUEUES names it)."""
        queue = self.env.get("COGVIDEO_QUEUE_NAME") or DEFAULT_QUEUE_NAME
        return model_queue_name(queue, model, self.env["COGVIDEO_MODEL"])

    def start_model_cluster(self, model: str) -> subprocess.Popen:
        """The worker cluster of another served model (COGVIDEO_WORKER_MODELS), as launch.py
        starts one per model."""
        return self.processes.start_cluster(self.model_queue(model))

    def cluster_children(self) -> list[int]:
        """Pids of the cluster's processes (workers, monitor, pusher), parent excluded."""
        out = subprocess.run(["pgrep", "-g", str(self.cluster.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split() if int(pid) != self.cluster.pid]

    def wait_until_up(self, timeout: float = 60) -> None:
        self.processes.wait_until_healthy(self.url, timeout)

    def stop(self) -> None:
        self.processes.stop()
        self._drop_database()
        if self.store is not None:
            self.store.delete_prefix(self.env["COGVIDEO_S3_PREFIX"])

    def stored_files(self, suffix: str = "") -> dict[str, bytes]:
        """The service's stored media whose names end with `suffix` (name -> bytes): the
        files in its media folder, or the objects under its prefix of the object store."""
        if self.store is not None:
            prefix = self.env["COGVIDEO_S3_PREFIX"]
            return {name: self.store.read(prefix, name) for name in self.store.objects(prefix) if name.endswith(suffix)}
        media = self.data_dir / "media"
        return {str(path.relative_to(media)): path.read_bytes() for path in media.rglob(f"*{suffix}") if path.is_file()}

    def read_log(self, name: str) -> str:
        return self.processes.log(name)

    # -- API helpers ------------------------------------------------------------------------
    def create_token(self, username: str, *extra: str) -> str:
        return self.manage("create_api_token", username, *extra).stdout.strip().splitlines()[-1]

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_for(self, client: httpx.Client, task_id: str, timeout: float = 120, until=None) -> dict:
        """Poll the status until it is terminal (or `until(body)` is true); returns the body."""
        deadline = time.monotonic() + timeout
        body: dict = {}
        while time.monotonic() < deadline:
            body = client.get(f"/api/status/{task_id}").json()
            if until(body) if until else body.get("status") in {"completed", "failed", "canceled"}:
                return body
            time.sleep(0.1)
        raise AssertionError(f"job {task_id} still {body.get('status')} after {timeout}s\n" + self.read_log("cluster"))
