"""Limits and a full disk against a real server (gunicorn, 2 processes x 4 threads, no worker
cluster: jobs stay queued): concurrent requests count exactly, and a full data folder costs
only new jobs.

The data folder is a small tmpfs mounted for this module (the suite runs as root in CI); where
mounting is not allowed, the same checks run with COGVIDEO_MIN_FREE_DISK_MB above the free
space, which makes the real disk "full" for the threshold check only.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.disk import fill, mount_tmpfs, unmount
from tests.support.live import LiveService, tiny_job
from tests.support.waiting import eventually

RATE, CAP, POSTS = 60, 50, 200  # the race: 73 got past 60/minute, 51 queued against 50
TMPFS_MIB = 48


@pytest.fixture(scope="module")
def limited(session_dir: Path):
    data = session_dir / "limits-data"
    on_tmpfs = mount_tmpfs(data, TMPFS_MIB)
    env = {
        "COGVIDEO_DATA_DIR": str(data),  # the logs stay in the service folder, on the real disk
        "COGVIDEO_THROTTLE_GENERATE": f"{RATE}/minute",
        "COGVIDEO_MAX_QUEUED_PER_USER": str(CAP),
        "COGVIDEO_MIN_FREE_DISK_MB": "8" if on_tmpfs else str(10**9),
    }
    service = LiveService(session_dir / "limits", cluster=False, extra_env=env)
    service.on_tmpfs = on_tmpfs
    service.data = data
    try:
        service.start()
        # Two users (each token is a manage.py run): the racer is the stranger of the disk test.
        service.tokens = {name: service.create_token(name) for name in ("racer", "writer")}
        yield service
    finally:
        service.stop()
        if on_tmpfs:
            unmount(data)


def _post_all(service: LiveService, token: str, count: int) -> list[httpx.Response]:
    def post(index: int) -> httpx.Response:
        with service.client(token) as client:
            return client.post("/api/generate", json=tiny_job(prompt=f"race {index}"))

    with ThreadPoolExecutor(max_workers=40) as pool:
        return list(pool.map(post, range(count)))


def test_concurrent_posts_meet_the_rate_and_the_cap_exactly(limited):
    """POSTS at once: exactly RATE pass the rate of new jobs, of which exactly CAP are
    queued and the rest refused by the cap; nothing else happens."""
    responses = _post_all(limited, limited.tokens["racer"], POSTS)
    outcomes: dict[tuple[int, str], int] = {}
    for response in responses:
        code = response.json()["error"]["code"] if response.status_code != 200 else response.json()["status"]
        outcomes[(response.status_code, code)] = outcomes.get((response.status_code, code), 0) + 1
    assert outcomes == {(200, "queued"): CAP, (429, "too_many_queued"): RATE - CAP, (429, "throttled"): POSTS - RATE}
    with limited.client(limited.tokens["racer"]) as client:
        listed = client.get("/api/tasks", params={"status": "queued", "limit": 100}).json()
    assert len(listed["results"]) == CAP
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)


def test_a_full_disk_refuses_new_jobs_and_keeps_reads_answering(limited):
    writer = limited.client(limited.tokens["writer"])
    reader = limited.client(limited.tokens["racer"])  # another user, with jobs of their own
    before = writer.post("/api/generate", json=tiny_job())
    assert before.status_code == 200, before.text
    task_id = before.json()["task_id"]
    filler = fill(limited.data) if limited.on_tmpfs else None
    try:
        refused = writer.post("/api/generate", json=tiny_job(prompt="one more"))
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "storage_full" and int(refused.headers["Retry-After"]) > 0
        # Reads keep answering, for the owner and for another user, many times over.
        for _ in range(10):
            assert writer.get(f"/api/status/{task_id}").status_code == 200
            assert writer.get("/api/tasks").status_code == 200
            assert reader.get("/api/tasks").status_code == 200
            assert reader.get(f"/api/status/{task_id}").status_code == 404  # still only the owner's
        system = writer.get("/api/system/status").json()
        assert system["status"] == "storage_full" and system["disk"]["storage_full"] is True
        ready = httpx.get(limited.url + "/api/health/ready").json()
        assert ready["checks"]["storage"]["ok"] is False and "storage full" in ready["checks"]["storage"]["detail"]
        assert ready["accepting_jobs"] is False
        assert limited.web.poll() is None  # the web server is still up (no worker died either)
    finally:
        if filler is not None:
            filler.unlink()
    if limited.on_tmpfs:
        after = eventually(
            lambda: (r := writer.post("/api/generate", json=tiny_job(prompt="space again"))).status_code == 200 and r,
            timeout=30,
            what="new jobs accepted once space is back",
        )
        assert after.json()["status"] == "queued"
    writer.close()
    reader.close()
    log = limited.read_log("web")
    assert "Traceback" not in log and "SIGBUS" not in log and "Worker with pid" not in log, log[-3000:]
