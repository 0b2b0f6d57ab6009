"""The reaper in-process: stale jobs requeued or failed, lost queue messages resent."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_q.brokers import get_broker

from tests.videos.factories import make_job
from videos import services, worker
from videos.models import JobStatus, VideoJob


def _claim_and_go_silent(job):
    claimed = services.claim_next_job("gone-host:4242")
    assert claimed.pk == job.pk
    VideoJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))


def test_stale_job_goes_back_to_the_queue_then_fails_after_the_last_attempt(owner, settings):
    settings.COGVIDEO_MAX_ATTEMPTS = 2
    job = make_job(owner)
    _claim_and_go_silent(job)
    assert services.requeue_stale_jobs() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.worker == "" and "attempt 1 of 2" in job.warnings[-1]
    _claim_and_go_silent(job)
    assert services.requeue_stale_jobs() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "worker_lost"
    assert job.error == "Worker stopped unexpectedly, 2 of 2 attempts."


def test_live_job_is_left_alone(owner):
    job = make_job(owner)
    services.claim_next_job("busy-host:1")
    assert services.requeue_stale_jobs() == {"requeued": 0, "failed": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING


def test_lost_queue_messages_are_resent(owner, django_capture_on_commit_callbacks):
    broker = get_broker()
    broker.purge_queue()  # (on Redis, earlier tests' messages outlive their transactions)
    with django_capture_on_commit_callbacks(execute=True):
        job = make_job(owner)
    assert broker.queue_size() == 1
    broker.purge_queue()  # the message is lost, as with a Redis crash after a pop
    assert services.resend_lost_wakeups() == 0  # too recent: it may still be in flight
    VideoJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.resend_lost_wakeups() == 1
    assert get_broker().queue_size() == 1
    assert services.resend_lost_wakeups() == 0  # a message is waiting: nothing more to send
    assert worker.run_next_job() == str(job.id)


def test_revoked_token_is_refused(owner, owner_api):
    from videos.models import ApiToken

    assert owner_api.get("/api/tasks").status_code == 200
    ApiToken.objects.filter(user=owner).delete()
    response = owner_api.get("/api/tasks")
    assert response.status_code == 401 and owner.token not in response.content.decode()


def test_reaper_is_scheduled_in_django_q(owner):
    from django_q.models import Schedule

    from videos import tasks

    schedule = Schedule.objects.get(name="cogvideo-reaper")
    assert schedule.func == "videos.tasks.reap_stale_jobs" and schedule.repeats == -1
    job = make_job(owner)
    _claim_and_go_silent(job)
    assert tasks.reap_stale_jobs() == {"requeued": 1, "failed": 0, "wakeups_resent": 0}


def test_a_job_past_the_time_limit_fails_instead_of_running_again(owner, settings):
    settings.COGVIDEO_JOB_TIMEOUT = 60
    job = make_job(owner)
    _claim_and_go_silent(job)
    VideoJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=2))
    assert services.requeue_stale_jobs() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "timeout" and "60 s" in job.error


def test_an_unexpected_worker_error_fails_the_job_instead_of_leaving_it_processing(owner):
    job = make_job(owner)
    broken = {k: v for k, v in job.params.items() if k != "width"}  # a row the engine cannot use
    VideoJob.objects.filter(pk=job.pk).update(params=broken)
    assert worker.run_next_job() == str(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "internal_error"
    assert "KeyError" in job.error
