"""A job's state changes after creation: claimed, progress, completed, failed, canceled,
retried. Each is a conditional update on the current status, so concurrent actors (API,
workers, reaper, operators) never clobber each other and a duplicate delivery of a job does
nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from .. import fair_share
from ..job_log import log_job_event
from ..job_specs import model_queue
from ..models import JobStatus, Video, VideoJob
from ..signals import job_finished
from .errors import JobNotCancelable, JobNotRetryable

logger = logging.getLogger(__name__)

CANCELABLE = (JobStatus.QUEUED, JobStatus.PROCESSING)
RETRYABLE = (JobStatus.FAILED, JobStatus.CANCELED)

# What a job goes back to the queue with, whether the reaper requeues it or an operator
# retries it: no progress, no worker.
BACK_TO_QUEUE = {
    "status": JobStatus.QUEUED,
    "progress": 0,
    "step": 0,
    "eta_seconds": None,
    "worker": "",
    "live_preview": None,
    "live_preview_step": 0,
}
# A job that ended keeps no live preview (its poster and video say more, in storage).
NO_LIVE_PREVIEW = {"live_preview": None, "live_preview_step": 0}


def enqueue_job(job: VideoJob) -> None:
    """Put a wake-up for `job` on the queue. The message only carries the id; the worker
    claims the best queued job from the database (see claim_next_job). If the broker is
    down the job is already committed: it stays queued and the reaper resends its wake-up
    (resend_lost_wakeups), so the request still succeeds and a retry creates no duplicate."""
    from django_q.tasks import async_task

    try:
        # The job's model's queue: only that model's workers are woken (model_queue).
        async_task("videos.tasks.run_next_job", str(job.id), task_name=f"job-{job.id}", cluster=model_queue(job.model))
    except Exception:  # noqa: BLE001 - any broker failure
        logger.exception("could not enqueue job %s; the reaper will resend its wake-up", job.id)


def send_finished(job_id) -> None:
    """The job_finished signal (webhooks, logs), once the finishing transaction commits."""

    def send() -> None:
        job = VideoJob.objects.select_related("owner", "video").get(pk=job_id)
        job_finished.send(sender=VideoJob, job=job)

    transaction.on_commit(send)


def cancel_job(job: VideoJob, *, only_if: Iterable[str] = CANCELABLE) -> VideoJob:
    """Queued: canceled at once. Processing: canceled now in the database; the worker sees it
    at its next denoising step and stops. Finished: JobNotCancelable (409).

    `only_if` narrows the states the cancel applies to, checked in the same conditional
    update: a bulk "cancel every queued job" must not cancel one a worker claimed after the
    selection was read."""
    statuses = [status for status in only_if if status in CANCELABLE]
    now = timezone.now()
    with transaction.atomic():
        changed = VideoJob.objects.filter(pk=job.pk, status__in=statuses).update(
            status=JobStatus.CANCELED,
            stage="canceled",
            cancel_requested_at=now,
            finished_at=now,
            eta_seconds=None,
            **NO_LIVE_PREVIEW,
        )
        job.refresh_from_db()
        if not changed:
            raise JobNotCancelable(f"The job is already {job.status}.", current_status=job.status)
        send_finished(job.pk)
    logger.info("job %s canceled", job.id)
    return job


def retry_job(job: VideoJob, *, only_if: Iterable[str] = RETRYABLE) -> VideoJob:
    """A failed or canceled job goes back to the queue as it was asked (same parameters and
    seed), with a fresh attempt count. The same row is reused, so a batch re-run or a client
    polling its task id follows the new attempt. `only_if` narrows the states, checked in the
    conditional update itself (see cancel_job)."""
    statuses = [status for status in only_if if status in RETRYABLE]
    with transaction.atomic():
        changed = VideoJob.objects.filter(pk=job.pk, status__in=statuses).update(
            **BACK_TO_QUEUE,
            stage="queued",
            error="",
            error_code="",
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
            cancel_requested_at=None,
            attempts=0,
        )
        job.refresh_from_db()
        if not changed:
            raise JobNotRetryable(
                f"Only failed or canceled jobs can be retried; this one is {job.status}.", current_status=job.status
            )
        transaction.on_commit(lambda: enqueue_job(job))
    logger.info("job %s requeued by an operator", job.pk)
    return job


def claim_next_job(worker: str, model: str | None = None) -> VideoJob | None:
    """Take the worker's `model`'s next job by the queue's rule (videos/fair_share.py:
    priority, then fair share across owners, then age) with a conditional update, so two
    workers (or a duplicate delivery) can never run the same job and a worker never takes
    another model's job (`model=None`: any model, for tools that stand in for a worker).
    With COGVIDEO_MAX_RUNNING_PER_USER, owners at the cap are passed over; the cap is
    re-checked under a lock on the owner's user row, so two workers claiming at once cannot
    both take the owner's last slot."""
    mine = {} if model is None else {"model": model}
    cap = settings.COGVIDEO_MAX_RUNNING_PER_USER
    excluded: set = set()
    for _attempt in range(20):
        if cap > 0:
            excluded |= set(
                VideoJob.objects.filter(status=JobStatus.PROCESSING)
                .values("owner_id")
                .annotate(n=Count("id"))
                .filter(n__gte=cap)
                .values_list("owner_id", flat=True)
            )
        candidate = fair_share.next_job_id(excluded_owners=excluded, model=model)
        if candidate is None:
            return None
        with transaction.atomic():
            if cap > 0:
                owner_id = VideoJob.objects.filter(pk=candidate).values_list("owner_id", flat=True).first()
                list(get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk"))
                if fair_share.running_count(owner_id) >= cap:
                    excluded.add(owner_id)
                    continue
            now = timezone.now()
            claimed = VideoJob.objects.filter(pk=candidate, status=JobStatus.QUEUED, **mine).update(
                status=JobStatus.PROCESSING,
                worker=worker,
                started_at=now,
                heartbeat_at=now,
                attempts=F("attempts") + 1,
                stage="starting",
                progress=0,
                step=0,
            )
        if claimed:
            job = VideoJob.objects.get(pk=candidate)
            log_job_event(job, "started")
            return job
    return None


def wake_up_if_waiting() -> bool:
    """With a per-user running cap, a wake-up can find only capped owners' jobs and claim
    nothing; the worker calls this when a job ends, so those jobs get a fresh wake-up then
    (an extra one is harmless: it finds nothing and does nothing)."""
    if settings.COGVIDEO_MAX_RUNNING_PER_USER <= 0:
        return False
    waiting = VideoJob.objects.filter(status=JobStatus.QUEUED).order_by("-priority", "created_at").first()
    if waiting is None:
        return False
    enqueue_job(waiting)
    return True


def touch_heartbeat(job_id, worker: str) -> None:
    """The worker's heartbeat thread: its running job is alive (the reaper leaves it be)."""
    VideoJob.objects.filter(pk=job_id, worker=worker).update(heartbeat_at=timezone.now())


def _update_running(job: VideoJob, **fields) -> bool:
    """Write to a job only while this worker still owns it (not canceled or reaped)."""
    return bool(
        VideoJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING, worker=job.worker).update(
            heartbeat_at=timezone.now(), **fields
        )
    )


def report_progress(job: VideoJob, *, progress: int, stage: str, step: int | None = None, eta=None) -> bool:
    fields = {"progress": max(0, min(99, progress)), "stage": stage, "eta_seconds": eta}
    if step is not None:
        fields["step"] = step
    return _update_running(job, **fields)


def record_live_preview(job: VideoJob, image: bytes, step: int) -> bool:
    """The running job's latest live preview (a small JPEG) and the step it shows; False when
    the job left `processing` (the caller's next cancel check stops it)."""
    return _update_running(job, live_preview=image, live_preview_step=step)


def add_warning(job: VideoJob, message: str) -> None:
    job.refresh_from_db(fields=["warnings"])
    VideoJob.objects.filter(pk=job.pk).update(warnings=[*job.warnings, message])
    job.warnings = [*job.warnings, message]


def record_params(job: VideoJob, **resolved) -> None:
    job.params = {**job.params, **resolved}
    VideoJob.objects.filter(pk=job.pk).update(params=job.params)


def record_cancel_point(job: VideoJob, *, stage: str, done: int, of: int) -> bool:
    """Where a canceled job's worker stopped (the step or decode chunk it saw the cancel
    at), in its params as `canceled_in`. Only on a canceled row: a job the reaper requeued
    and another worker now runs keeps that worker's params."""
    params = {**job.params, "canceled_in": {"stage": stage, "done": done, "of": of}}
    changed = VideoJob.objects.filter(pk=job.pk, status=JobStatus.CANCELED).update(params=params)
    if changed:
        job.params = params
    return bool(changed)


def still_running(job: VideoJob) -> bool:
    return VideoJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING, worker=job.worker).exists()


def complete_job(job: VideoJob, video: Video) -> bool:
    """Save the video and mark the job completed, unless it was canceled meanwhile (then the
    caller deletes the files). Returns whether the job was completed."""
    with transaction.atomic():
        now = timezone.now()
        done = VideoJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING, worker=job.worker).update(
            status=JobStatus.COMPLETED,
            progress=100,
            step=job.total_steps,
            stage="completed",
            eta_seconds=None,
            finished_at=now,
            heartbeat_at=now,
            **NO_LIVE_PREVIEW,
        )
        if not done:
            return False
        video.save()
        send_finished(job.pk)
    logger.info("job %s completed as video %s", job.id, video.id)
    return True


def fail_job(job: VideoJob, code: str, message: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        done = VideoJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING, worker=job.worker).update(
            status=JobStatus.FAILED,
            stage="failed",
            error=message,
            error_code=code,
            eta_seconds=None,
            finished_at=now,
            heartbeat_at=now,
            **NO_LIVE_PREVIEW,
        )
        if done:
            send_finished(job.pk)
    if done:
        logger.warning("job %s failed (%s): %s", job.id, code, message)
    return bool(done)
