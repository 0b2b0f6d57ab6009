"""Against real processes: gunicorn + a django-q2 cluster running the tiny model."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.support.live import LiveService, tiny_job
from tests.support.waiting import eventually

pytestmark = pytest.mark.live


def submit(client, **overrides) -> str:
    response = client.post("/api/generate", json=tiny_job(**overrides))
    assert response.status_code == 200, response.text
    return response.json()["task_id"]


def test_progress_moves_from_queued_through_processing_to_completed(live, owner_http):
    # Denoising must outlast a few progress writes (one per 0.5 s) on a fast, idle machine too.
    task_id = submit(owner_http, resolution="256x256", num_inference_steps=100)
    seen = []
    body = live.wait_for(owner_http, task_id, until=lambda b: seen.append(b) or b["status"] == "completed")
    processing = [b for b in seen if b["status"] == "processing"]
    assert processing, [b["status"] for b in seen]
    steps = [b["step"] for b in processing]
    assert steps == sorted(steps) and max(steps) > 0
    assert any(0 < b["progress"] < 100 for b in processing)
    assert any(b["eta_seconds"] is not None for b in processing if b["stage"] == "denoising" and b["step"])
    assert body["progress"] == 100 and body["video_id"]


def test_cancel_a_running_job_stops_it_and_the_worker_goes_on(live, owner_http):
    task_id = submit(owner_http, resolution="256x256", duration=2, num_inference_steps=100)
    live.wait_for(owner_http, task_id, until=lambda b: b["status"] == "processing" and b["step"] >= 1)
    response = owner_http.post(f"/api/cancel/{task_id}")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    stopped_at = owner_http.get(f"/api/status/{task_id}").json()["step"]
    assert stopped_at < 100
    next_id = submit(owner_http)
    assert live.wait_for(owner_http, next_id)["status"] == "completed"
    final = owner_http.get(f"/api/status/{task_id}").json()
    assert final["status"] == "canceled" and final["video_id"] is None


def test_duplicate_queue_message_runs_the_pipeline_once(live, owner_http):
    def settled_pipeline_runs() -> int:
        """The workers' run count from heartbeats written after this call began, with no job
        running: every finished run is in it."""
        since = datetime.now(UTC)

        def settled():
            workers = owner_http.get("/api/system/status").json()["workers"]["list"]
            fresh = all(not w["current_job"] and datetime.fromisoformat(w["last_seen"]) > since for w in workers)
            return workers if workers and fresh else None

        workers = eventually(settled, timeout=60, what="idle workers with fresh heartbeats")
        return sum(w["pipeline_runs"] for w in workers)

    earlier_runs = settled_pipeline_runs()
    task_id = submit(owner_http, num_inference_steps=30)
    live.manage(
        "shell", "-c",
        f"from videos.models import VideoJob; from videos.services import enqueue_job; "
        f"job = VideoJob.objects.get(pk='{task_id}'); enqueue_job(job); enqueue_job(job)",
    )  # fmt: skip
    assert live.wait_for(owner_http, task_id)["status"] == "completed"
    # The two duplicate messages get time to be delivered (a proof that nothing happens can
    # only wait); they must add no pipeline run.
    time.sleep(4)
    assert settled_pipeline_runs() == earlier_runs + 1
    runs_for_job = owner_http.get(f"/api/status/{task_id}").json()["attempts"]
    assert runs_for_job == 1


def test_a_stranger_cannot_see_or_download(live, owner_http, stranger_http):
    task_id = submit(owner_http)
    body = live.wait_for(owner_http, task_id)
    assert stranger_http.get(f"/api/status/{task_id}").status_code == 404
    assert stranger_http.get(f"/api/download/{body['video_id']}").status_code == 404
    assert stranger_http.post(f"/api/cancel/{task_id}").status_code == 404


def test_unavailable_real_model_is_explained(session_dir):
    service = LiveService(
        session_dir / "no-model", extra_env={"COGVIDEO_MODEL": "THUDM/CogVideoX-2b", "HF_HUB_OFFLINE": "1"}
    ).start()
    try:
        with service.client(service.create_token("dana")) as client:
            deadline = time.monotonic() + 60
            status = {}
            while time.monotonic() < deadline:
                status = client.get("/api/system/status").json()
                if status["model"]["error"]:
                    break
                time.sleep(0.5)
            assert "THUDM/CogVideoX-2b" in status["model"]["error"]
            assert "huggingface-cli download" in status["model"]["error"]
            task_id = submit(client, resolution="720x480")
            body = service.wait_for(client, task_id)
            assert body["status"] == "failed" and body["error_code"] == "model_unavailable"
            assert "COGVIDEO_MODEL=tiny-random" in body["error"]
    finally:
        service.stop()
