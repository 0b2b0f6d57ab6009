"""The one way the service's processes are started and stopped: gunicorn, the GPU job
cluster and the light events cluster (see settings.py, Q_CLUSTER and ALT_CLUSTERS).

launch.py runs them for users, tests/support/live.py for the live tests, and
benchmarks/service_bench.py for the service benchmarks, so all three start the same
commands and stop them the same way.

Each child gets its own session, so a Ctrl-C on a terminal reaches only the launcher, which
stops each child deliberately. Stopping order: the GPU cluster gets SIGTERM on its parent
only (django-q2 then finishes the running job; SIGTERM to its process group would kill the
job mid-way), then the events cluster, then the web server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent

#: How long each kind of child may take to stop after SIGTERM before it is killed.
STOP_TIMEOUTS = {"cluster": 3700.0, "events": 30.0, "web": 20.0}


DEFAULT_QUEUE_NAME = "cogvideo"


def events_queue_name(queue_name: str) -> str:
    """The events cluster's queue beside a GPU queue (settings.COGVIDEO_EVENTS_QUEUE)."""
    return f"{queue_name}-events"


def model_queue_name(queue_name: str, model: str, default_model: str) -> str:
    """The GPU queue (django-q2 cluster) of one served model: the default model's is the queue
    itself, as before; another model's is the queue name plus a slug of the model (its folder
    name for a local path), e.g. cogvideo-tiny-random-i2v. A worker cluster started with
    Q_CLUSTER_NAME=<that queue> serves that model (settings.COGVIDEO_MODEL_QUEUES)."""
    if model == default_model:
        return queue_name
    import hashlib
    import re

    name = Path(model).name if model.startswith(("/", ".")) else model
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "model"
    if slug != name.lower() or model.startswith(("/", ".")):
        slug += "-" + hashlib.sha256(model.encode()).hexdigest()[:6]  # two folders, one name
    return f"{queue_name}-{slug}"


def free_port() -> int:
    """A TCP port free on the loopback interface now (for services started by tests and
    benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_command(bind: str, *, workers: int, threads: int = 4, timeout: int = 120) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "cogvideo_site.wsgi:application",
        "--bind", bind,
        "--workers", str(workers),
        "--threads", str(threads),
        "--timeout", str(timeout),
        "--graceful-timeout", "10",
    ]  # fmt: skip


def cluster_command() -> list[str]:
    return [sys.executable, "manage.py", "qcluster"]


@dataclass
class ServiceProcesses:
    """The children of one service. `env` is the whole environment they run with; `logs`
    is a folder for `<name>.log` files, or None to share the launcher's terminal."""

    env: dict[str, str]
    logs: Path | None = None
    stop_timeouts: dict[str, float] = field(default_factory=lambda: dict(STOP_TIMEOUTS))
    children: dict[str, subprocess.Popen] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str], **extra_env: str) -> subprocess.Popen:
        output: IO[bytes] | None = None
        if self.logs is not None:
            self.logs.mkdir(parents=True, exist_ok=True)
            output = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            child = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**self.env, **extra_env},
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,
            )
        finally:
            if output is not None:
                output.close()  # the child has its own copy
        self.children[name] = child
        return child

    def start_web(self, bind: str, *, workers: int, threads: int = 4, timeout: int = 120) -> subprocess.Popen:
        return self.spawn("web", web_command(bind, workers=workers, threads=threads, timeout=timeout))

    def start_cluster(self, queue: str | None = None) -> subprocess.Popen:
        """The GPU cluster of the default model, or with `queue` the cluster of another served
        model (model_queue_name), named "cluster-<queue>"."""
        if queue is None:
            return self.spawn("cluster", cluster_command())
        return self.spawn(f"cluster-{queue}", cluster_command(), Q_CLUSTER_NAME=queue)

    def start_events(self) -> subprocess.Popen:
        return self.spawn(
            "events",
            cluster_command(),
            Q_CLUSTER_NAME=events_queue_name(self.env.get("COGVIDEO_QUEUE_NAME") or DEFAULT_QUEUE_NAME),
        )

    def running(self, name: str) -> bool:
        child = self.children.get(name)
        return child is not None and child.poll() is None

    def stop_one(self, name: str, sig: int = signal.SIGTERM, timeout: float | None = None) -> None:
        """Signal the child's own process (never its group), wait, kill its group if it does
        not stop in time."""
        child = self.children.get(name)
        if child is None or child.poll() is not None:
            return
        child.send_signal(sig)
        try:
            child.wait(self.stop_timeouts.get(name, 30.0) if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()

    def signal_all(self, sig: int = signal.SIGTERM) -> None:
        """Ask every running child to stop at once, without waiting (the launcher's Ctrl-C)."""
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(sig)

    def stop(self) -> None:
        clusters = [name for name in self.children if name.startswith("cluster")]
        for name in (*clusters, "events", "web", *self.children):
            self.stop_one(name)

    def wait_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.wait()

    def log(self, name: str, tail: int = 5000) -> str:
        path = self.logs / f"{name}.log" if self.logs else None
        return path.read_text(errors="replace")[-tail:] if path and path.exists() else ""

    def wait_until_healthy(self, url: str, timeout: float = 60) -> None:
        """Wait until GET <url>/api/health answers 200; fail at once if the web server exits."""
        import httpx  # the launcher's own probe of its own loopback server, not egress

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            web = self.children.get("web")
            if web is not None and web.poll() is not None:
                raise RuntimeError("web server exited:\n" + self.log("web"))
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("web server did not come up:\n" + self.log("web"))
