"""POST /api/cancel/{task_id} in each state."""

from __future__ import annotations

from tests.videos.factories import make_job
from videos import worker
from videos.models import JobStatus


def test_cancel_queued_job_is_immediate(owner_api, owner):
    job = make_job(owner)
    response = owner_api.post(f"/api/cancel/{job.id}")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED and job.finished_at is not None
    # The queue message that is still out there now finds nothing to run.
    assert worker.run_next_job() is None


def test_cancel_finished_job_is_409_with_current_status(owner_api, owner):
    job = make_job(owner)
    worker.run_next_job()
    response = owner_api.post(f"/api/cancel/{job.id}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_cancelable" and error["current_status"] == "completed"


def test_stranger_cannot_cancel(owner, stranger_api):
    job = make_job(owner)
    assert stranger_api.post(f"/api/cancel/{job.id}").status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_cancel_needs_post(owner_api, owner):
    job = make_job(owner)
    assert owner_api.get(f"/api/cancel/{job.id}").status_code == 405
