"""GET /api/status/{task_id}: shape, progress fields and who may see what."""

from __future__ import annotations

import uuid

import pytest

from tests.videos.factories import make_job
from videos import worker
from videos.models import JobStatus


def test_owner_sees_the_full_status_body(owner_api, owner):
    job = make_job(owner)
    data = owner_api.get(f"/api/status/{job.id}").json()
    expected_keys = {
        "task_id", "status", "progress", "step", "total_steps", "stage", "eta_seconds", "queue_position",
        "video_id", "video_url", "thumbnail_url", "error", "warnings", "params", "seed", "created_at",
        "started_at", "finished_at", "metadata", "prompt",
    }  # fmt: skip
    assert expected_keys <= set(data)
    assert data["task_id"] == str(job.id) and data["status"] == "queued"
    assert data["total_steps"] == job.params["num_inference_steps"]


def test_queue_position_counts_jobs_ahead(owner_api, owner, stranger):
    first = make_job(stranger)
    second = make_job(owner)
    urgent = make_job(owner, priority=5)
    assert owner_api.get(f"/api/status/{second.id}").json()["queue_position"] == 3
    assert owner_api.get(f"/api/status/{urgent.id}").json()["queue_position"] == 1
    first.status = JobStatus.CANCELED
    first.save()
    assert owner_api.get(f"/api/status/{second.id}").json()["queue_position"] == 2


def test_queue_position_and_eta_follow_fair_share(owner_api, stranger_api, owner, stranger):
    """alice runs one job and floods 20 more; bob's single job is next in line, and the ETAs
    (from the recent seconds per step) grow along the same order."""
    from django.utils import timezone

    from videos import services
    from videos.models import VideoJob

    done = make_job(owner)
    started = timezone.now() - timezone.timedelta(seconds=4)
    VideoJob.objects.filter(pk=done.pk).update(
        status=JobStatus.COMPLETED, started_at=started, finished_at=timezone.now()
    )
    make_job(owner)
    services.claim_next_job("worker-a")  # alice's job runs
    flood = [make_job(owner) for _ in range(20)]
    bobs = make_job(stranger)
    mine = stranger_api.get(f"/api/status/{bobs.id}").json()
    hers = [owner_api.get(f"/api/status/{job.id}").json() for job in (flood[0], flood[-1])]
    assert (mine["queue_position"], hers[0]["queue_position"], hers[1]["queue_position"]) == (1, 2, 21)
    assert 0 < mine["eta_seconds"] < hers[0]["eta_seconds"] < hers[1]["eta_seconds"]


def test_completed_job_has_video_links(owner_api, owner):
    job = make_job(owner)
    assert worker.run_next_job() == str(job.id)
    data = owner_api.get(f"/api/status/{job.id}").json()
    assert data["status"] == "completed" and data["progress"] == 100
    assert data["video_id"] and data["video_url"].endswith(f"/api/download/{data['video_id']}")
    assert data["thumbnail_url"].endswith("?variant=thumbnail")
    assert data["video"]["frames"] == 9 and data["video"]["width"] == 64
    assert data["started_at"] and data["finished_at"]
    assert data["params"]["timings"]["denoise_seconds"] > 0


def test_stranger_gets_404_and_staff_sees_it(owner, stranger_api, staff_api):
    job = make_job(owner)
    response = stranger_api.get(f"/api/status/{job.id}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert staff_api.get(f"/api/status/{job.id}").status_code == 200


@pytest.mark.parametrize("bad_id", ["nope", "../../etc/passwd", "%2e%2e%2fsecret", "1" * 300, str(uuid.uuid4())])
def test_unknown_or_malformed_ids_are_json_404(owner_api, bad_id):
    response = owner_api.get(f"/api/status/{bad_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_api_path_is_json_404(owner_api):
    response = owner_api.get("/api/nothing-here")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_anonymous_is_401(anon_api, owner):
    job = make_job(owner)
    assert anon_api.get(f"/api/status/{job.id}").status_code == 401


def test_wrong_method_is_json_405(owner_api, owner):
    job = make_job(owner)
    response = owner_api.delete(f"/api/status/{job.id}")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
