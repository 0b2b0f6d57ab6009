"""retry_job: a failed or canceled job goes back to the queue and runs again; others can't."""

from __future__ import annotations

import pytest

from tests.videos.factories import make_job
from videos import services, worker
from videos.models import JobStatus
from videos.services import JobNotRetryable, retry_job


def test_failed_job_is_requeued_and_then_completes(owner):
    job = make_job(owner, seed=9)
    claimed = services.claim_next_job("test-worker")
    services.fail_job(claimed, "generation_failed", "boom")
    job = retry_job(job)
    assert (job.status, job.error, job.error_code, job.attempts, job.started_at, job.finished_at) == (
        JobStatus.QUEUED,
        "",
        "",
        0,
        None,
        None,
    )
    assert worker.run_next_job() == str(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.attempts == 1 and job.params["seed"] == 9


def test_canceled_job_can_be_retried_but_not_a_queued_or_completed_one(owner):
    canceled = services.cancel_job(make_job(owner))
    assert retry_job(canceled).status == JobStatus.QUEUED
    with pytest.raises(JobNotRetryable, match="this one is queued"):
        retry_job(canceled)
    worker.run_next_job()
    canceled.refresh_from_db()
    with pytest.raises(JobNotRetryable, match="this one is completed"):
        retry_job(canceled)
