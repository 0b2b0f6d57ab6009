"""The one way the service's processes are started and stopped: gunicorn, the GPU job
cluster and the light events cluster (see settings.py, Q_CLUSTER and ALT_CLUSTERS).

launch.py runs them for users, tests/support/live.py for the live tests, and
benchmarks/service_bench.py for the service benchmarks, so all three start the same
commands and stop them the same way.

Each child gets its own session, so a Ctrl-C on a terminal reaches only the launcher, which
stops each child deliberately; and each is asked by the kernel to get SIGTERM when the
launcher dies (Linux's parent-death signal), so a launcher killed by SIGKILL or a closed
terminal leaves nothing running (the GPU cluster's workers follow their parent, see
videos/worker_supervision.py). Stopping order: the GPU cluster gets SIGTERM on its parent
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


PR_SET_PDEATHSIG = 1
try:  # resolved here, not in the child: between fork and exec only the call itself runs
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: the launcher's own handlers still stop them
    _prctl = None


def _die_with(parent: int):
    def before_exec() -> None:
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the launcher died before the call: nobody to wait for
            os.kill(os.getpid(), signal.SIGTERM)

    return before_exec


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
class RestartBudget:
    """When to restart a child that died: after 1, 2, 4 ... up to `max_delay` seconds, and not
    at all once it has died more than `limit` times within `window` seconds (a crash loop: a
    broken model folder or configuration will not heal by restarting)."""

    limit: int = 5
    window: float = 600.0
    first_delay: float = 1.0
    max_delay: float = 30.0
    exits: list[float] = field(default_factory=list)

    def delay_after_exit(self, now: float) -> float | None:
        """Seconds to wait before the restart, or None to give up."""
        self.exits = [t for t in self.exits if now - t < self.window] + [now]
        if len(self.exits) > self.limit:
            return None
        return min(self.max_delay, self.first_delay * 2 ** (len(self.exits) - 1))


@dataclass
class ServiceProcesses:
    """The children of one service. `env` is the whole environment they run with; `logs`
    is a folder for `<name>.log` files, or None to share the launcher's terminal."""

    env: dict[str, str]
    logs: Path | None = None
    stop_timeouts: dict[str, float] = field(default_factory=lambda: dict(STOP_TIMEOUTS))
    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    #: File descriptors the children inherit, e.g. launch.py's data-folder lock, so the lock is
    #: held until the last child has exited, not only while the launcher lives.
    pass_fds: tuple[int, ...] = ()
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    #: Set by signal_all: a stop was asked for, so nothing is restarted any more.
    stopping: bool = False

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
                preexec_fn=_die_with(os.getpid()),
                pass_fds=self.pass_fds,
            )
        finally:
            if output is not None:
                output.close()  # the child has its own copy
        self.children[name] = child
        self.commands[name] = (argv, extra_env)
        return child

    def respawn(self, name: str) -> subprocess.Popen:
        """Start `name` again as it was first started, after clearing what is left of its
        process group (a GPU cluster whose parent died leaves its Sentinel and workers behind;
        a new cluster beside them would put two workers on one device)."""
        old = self.children.get(name)
        if old is not None:
            try:
                os.killpg(old.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        argv, extra_env = self.commands[name]
        child = self.spawn(name, argv, **extra_env)
        if self.stopping:  # a stop signal arrived while it was being started
            child.send_signal(signal.SIGTERM)
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
            child.wait(
                self.stop_timeouts.get("cluster" if name.startswith("cluster-") else name, 30.0)
                if timeout is None
                else timeout
            )
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()

    def signal_all(self, sig: int = signal.SIGTERM) -> None:
        """Ask every running child to stop at once, without waiting (the launcher's Ctrl-C)."""
        self.stopping = True
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
