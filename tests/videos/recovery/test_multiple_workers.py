"""Several worker processes, as on a machine with several GPUs: each pins itself to its own
device slot; jobs spread over them; none runs twice, none is lost."""

from __future__ import annotations

import time

import pytest

from tests.support.live import LiveService, tiny_job
from tests.support.waiting import eventually

pytestmark = pytest.mark.live


JOBS = 15  # five per worker: enough to show the spread and exactly-once, without 30 runs on 2 cores


def test_fifteen_jobs_over_three_pinned_workers(session_dir):
    # On CPU the three "devices" are the same CPU; the pinning logic is what is exercised.
    service = LiveService(session_dir / "three-workers", workers=3, extra_env={"COGVIDEO_DEVICES": "cpu,cpu,cpu"})
    service.start()
    try:
        with service.client(service.create_token("frank")) as http:
            deadline = time.monotonic() + 60
            workers = []
            while time.monotonic() < deadline:
                workers = http.get("/api/system/status").json()["workers"]["list"]
                if len(workers) == 3 and all(w["model_loaded"] for w in workers):
                    break
                time.sleep(0.3)
            assert sorted(w["device_slot"] for w in workers) == [0, 1, 2], workers
            task_ids = []
            for i in range(JOBS):
                response = http.post("/api/generate", json=tiny_job(prompt=f"clip {i}", num_inference_steps=8))
                task_ids.append(response.json()["task_id"])
            bodies = [service.wait_for(http, task_id, timeout=300) for task_id in task_ids]
            assert [b["status"] for b in bodies] == ["completed"] * JOBS
            assert all(b["attempts"] == 1 for b in bodies)
            assert len({b["video_id"] for b in bodies}) == JOBS

            def runs_per_worker() -> list[int]:
                return [w["pipeline_runs"] for w in http.get("/api/system/status").json()["workers"]["list"]]

            # Heartbeats carry the counts: wait for them to add up, then check nothing more ran.
            eventually(lambda: sum(runs_per_worker()) >= JOBS, timeout=60, what="the heartbeats' run counts")
            runs = runs_per_worker()
            assert sum(runs) == JOBS, runs  # each job ran exactly once
            assert sum(1 for r in runs if r > 0) >= 2, runs  # and the work was spread
    finally:
        service.stop()
