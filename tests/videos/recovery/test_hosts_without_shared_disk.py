"""The web tier and two GPU hosts as three machines that share no folder (tests/support/hosts.py:
a network and UTS namespace each where they can be made, else a host name per process): media
in the object store, PostgreSQL and Redis over the network. Jobs complete and download from the
web tier, each host pins its own device slots, each builds its own tiny model, and a job whose
host dies is requeued and finished by the other host. Needs the scale-out pass's object store
(without shared media there is nothing to download from): skipped in the embedded pass."""

from __future__ import annotations

import hashlib
import secrets
import sys

import psycopg
import pytest

from cogvideo_site.launcher import free_port
from tests.monitoring.secrets_scan import find_leaks
from tests.support.hosts import Fleet
from tests.support.live import LiveService, tiny_job
from tests.support.object_store import session_store
from tests.support.waiting import eventually

pytestmark = [pytest.mark.live, pytest.mark.object_store]

SLOW = {"resolution": "256x256", "duration": 1, "num_inference_steps": 100}


@pytest.fixture(scope="module")
def fleet(session_dir):
    assert session_store() is not None  # the object_store marker keeps it to the scale-out pass
    # What every host is given (docs/DEPLOY.md): the database, the broker, the object store
    # and the secret key. The admin runs migrate and issues tokens from here, as from a laptop.
    admin = LiveService(
        session_dir / "fleet" / "admin",
        web=False,
        cluster=False,
        extra_env={"COGVIDEO_SECRET_KEY": secrets.token_urlsafe(50), "COGVIDEO_MAX_ATTEMPTS": "2"},
    )
    admin.start()
    hosts = Fleet(
        session_dir / "fleet",
        admin.env,
        {
            "web": {},
            "gpu-a": {"COGVIDEO_WORKERS": "2", "COGVIDEO_DEVICES": "cpu,cpu"},
            "gpu-b": {"COGVIDEO_WORKERS": "1", "COGVIDEO_DEVICES": "cpu"},
        },
    )
    web = hosts.hosts["web"]
    port = free_port()
    url = f"http://{web.address}:{port}"
    web.env.update(COGVIDEO_ALLOWED_HOSTS=web.address, COGVIDEO_PUBLIC_URL=url)
    try:
        web.start_web(port)
        web.processes.wait_until_healthy(url, timeout=90)
        hosts.hosts["gpu-a"].start_cluster()
        hosts.hosts["gpu-b"].start_cluster()
        hosts.url, hosts.admin = url, admin
        hosts.tokens = {"staff": admin.create_token("olga-ops", "--staff"), "owner": admin.create_token("pia")}
        hosts.tokens["stranger"] = admin.create_token("quinn")
        print(f"hosts isolated by: {hosts.isolation}")
        yield hosts
    finally:
        hosts.stop()
        admin.stop()


def client(fleet, who: str = "staff"):
    import httpx

    return httpx.Client(base_url=fleet.url, headers={"Authorization": f"Bearer {fleet.tokens[who]}"}, timeout=30)


def workers(http) -> list[dict]:
    return http.get("/api/system/status").json()["workers"]["list"]


def loaded_workers(http, count: int) -> list[dict] | None:
    found = workers(http)
    return found if len(found) == count and all(w["model_loaded"] for w in found) else None


def job_row(fleet, task_id: str) -> tuple[str, int]:
    with psycopg.connect(fleet.admin.env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT worker, attempts FROM videos_videojob WHERE id = %s", [task_id]).fetchone()


def wait_for(http, task_id: str, timeout: float = 240, until=None) -> dict:
    def done():
        body = http.get(f"/api/status/{task_id}").json()
        return body if (until(body) if until else body["status"] in {"completed", "failed", "canceled"}) else None

    return eventually(done, timeout=timeout, interval=0.2, what=f"job {task_id}")


def test_three_machines_share_no_folder_yet_serve_jobs_and_survive_a_dead_host(fleet):
    with client(fleet) as staff, client(fleet, "owner") as owner, client(fleet, "stranger") as stranger:
        # Each host's workers under its own host name, device slots counted per host.
        alive = eventually(lambda: loaded_workers(staff, 3), timeout=180, what="three loaded workers")
        assert all(worker["name"] == f"{worker['hostname']}:{worker['pid']}" for worker in alive), alive
        assert _slots(alive) == {"gpu-a": [0, 1], "gpu-b": [0]}

        # Jobs complete, and download from the web tier: owner only, Range too.
        task_ids = [owner.post("/api/generate", json=tiny_job(prompt=f"clip {i}")).json()["task_id"] for i in range(4)]
        bodies = [wait_for(owner, task_id) for task_id in task_ids]
        assert [b["status"] for b in bodies] == ["completed"] * 4, [b.get("error") for b in bodies]
        for body in bodies:
            data = owner.get(f"/api/download/{body['video_id']}").content
            assert hashlib.sha256(data).hexdigest() == body["video"]["sha256"]
            part = owner.get(f"/api/download/{body['video_id']}", headers={"Range": "bytes=100-199"})
            assert part.status_code == 206 and part.content == data[100:200]
            assert stranger.get(f"/api/download/{body['video_id']}").status_code == 404
        assert {job_row(fleet, t)[0].partition(":")[0] for t in task_ids} <= {"gpu-a", "gpu-b"}

        # No host holds a media file: the videos are objects; each GPU host built its own tiny
        # model, the same bytes on both; the web host has none.
        for host in fleet.hosts.values():
            assert not [p for p in host.folder.rglob("*") if p.suffix in {".mp4", ".jpg", ".webp"}], host.name
            assert not (host.folder / "data" / "media").exists()
        stored = fleet.admin.stored_files(".mp4")
        assert {hashlib.sha256(d).hexdigest() for d in stored.values()} >= {b["video"]["sha256"] for b in bodies}
        models = {name: _digests(fleet.hosts[name].folder / "data" / "models") for name in ("gpu-a", "gpu-b")}
        assert models["gpu-a"] and models["gpu-a"] == models["gpu-b"]
        assert not (fleet.hosts["web"].folder / "data" / "models").exists()

        # The host running a job dies with all its workers: the other host's reaper requeues the
        # job once its heartbeat is stale, and that host finishes it.
        task_id = owner.post("/api/generate", json=tiny_job(**SLOW)).json()["task_id"]
        wait_for(owner, task_id, until=lambda b: b["status"] == "processing" and b["step"] >= 2)
        first_worker = eventually(lambda: job_row(fleet, task_id)[0], what="the job's worker")
        dead = first_worker.partition(":")[0]
        (survivor,) = {"gpu-a", "gpu-b"} - {dead}
        fleet.hosts[dead].kill_cluster()
        assert owner.get(f"/api/status/{task_id}").status_code == 200  # the web tier keeps answering
        body = wait_for(owner, task_id, timeout=240)
        assert body["status"] == "completed" and body["attempts"] == 2, body
        assert any("stopped unexpectedly" in warning for warning in body["warnings"])
        worker, _attempts = job_row(fleet, task_id)
        assert worker.startswith(survivor + ":"), (worker, first_worker)
        data = owner.get(f"/api/download/{body['video_id']}").content
        assert hashlib.sha256(data).hexdigest() == body["video"]["sha256"]

        # The dead host comes back: its workers take their own slots again, next to the
        # survivor's, and clear their dead predecessors' rows (same host name, pids gone).
        fleet.hosts[dead].start_cluster()
        back = eventually(lambda: loaded_workers(staff, 3), timeout=180, what=f"{dead}'s workers back")
        assert _slots(back) == {"gpu-a": [0, 1], "gpu-b": [0]}
        status = staff.get("/api/system/status").json()["workers"]
        assert not [w for w in status["dead"] if w["hostname"] == dead], status["dead"]

    # No host wrote a secret to its logs: the store's keys, the secret key, the API tokens.
    logs = sorted(fleet.root.glob("*/logs/*.log"))
    store = session_store()
    secrets_given = {store.secret_key, store.access_key, fleet.admin.env["COGVIDEO_SECRET_KEY"], *fleet.tokens.values()}
    assert len(logs) >= 3 and find_leaks(logs, secrets_given) == []


def _slots(found: list[dict]) -> dict[str, list[int]]:
    slots: dict[str, list[int]] = {}
    for worker in found:
        slots.setdefault(worker["hostname"], []).append(worker["device_slot"])
    return {host: sorted(values) for host, values in slots.items()}


def _digests(folder) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.safetensors"))
    }


def test_hosts_are_isolated_as_reported(fleet):
    """Say which isolation the run had; with namespaces, a host cannot reach the loopback
    services directly (only through the network), so nothing works by accident."""
    import subprocess

    print(f"hosts isolated by: {fleet.isolation}")
    host = fleet.hosts["gpu-b"]
    if not host.namespace:
        pytest.skip("no namespaces here: host names come from COGVIDEO_HOSTNAME")
    code = "import socket; print(socket.gethostname()); socket.create_connection(('127.0.0.1', 5432), 2)"
    probe = subprocess.run(host.command([sys.executable, "-c", code]), capture_output=True, text=True, timeout=30)
    assert probe.stdout.split()[0] == "gpu-b"
    assert probe.returncode != 0 and "Connection refused" in probe.stderr
