"""Writes to jobs and videos. Every state change goes through here, guarded by a conditional
update on the current status, so concurrent actors (API, workers, reaper) never clobber
each other and a duplicate delivery of a job does nothing."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import reuse
from .job_log import log_job_event
from .job_specs import JobSpec
from .models import JobStatus, Video, VideoJob
from .signals import job_finished

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class QueueFull(ServiceError):
    code = "queue_full"
    status = 503


class TooManyQueued(ServiceError):
    code = "too_many_queued"
    status = 429


class IdempotencyConflict(ServiceError):
    code = "idempotency_conflict"
    status = 409


class JobNotCancelable(ServiceError):
    code = "not_cancelable"
    status = 409


# What a job goes back to the queue with, whether the reaper requeues it or an operator
# retries it: no progress, no worker.
BACK_TO_QUEUE = {"status": JobStatus.QUEUED, "progress": 0, "step": 0, "eta_seconds": None, "worker": ""}


def request_fingerprint(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def enqueue_job(job: VideoJob) -> None:
    """Put a wake-up for `job` on the queue. The message only carries the id; the worker
    claims the best queued job from the database (see claim_next_job). If the broker is
    down the job is already committed: it stays queued and the reaper resends its wake-up
    (resend_lost_wakeups), so the request still succeeds and a retry creates no duplicate."""
    from django_q.tasks import async_task

    try:
        async_task("videos.tasks.run_next_job", str(job.id), task_name=f"job-{job.id}")
    except Exception:  # noqa: BLE001 - any broker failure
        logger.exception("could not enqueue job %s; the reaper will resend its wake-up", job.id)


def job_fields(
    owner, spec: JobSpec, *, idempotency_key: str, fingerprint: str, source: str, priority: int, reuse_key: str
) -> dict:
    """The columns every new job takes from its request, whether it is queued or answered at
    once by same-request reuse (videos/reuse.py)."""
    return {
        "owner": owner,
        "prompt": spec.prompt,
        "negative_prompt": spec.negative_prompt,
        "template": spec.template,
        "variables": spec.variables,
        "params": spec.params,
        "total_steps": spec.params["num_inference_steps"],
        "metadata": spec.metadata,
        "callback_url": spec.callback_url,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
        "max_attempts": settings.COGVIDEO_MAX_ATTEMPTS,
        "source": source,
        "priority": priority,
        "reuse_key": reuse_key,
    }


def create_job(
    owner,
    spec: JobSpec,
    *,
    idempotency_key: str = "",
    fingerprint: str = "",
    source: str = "api",
    priority: int = 0,
) -> tuple[VideoJob, bool]:
    """Create and enqueue a job. Returns (job, created); with an idempotency key that was
    used before for the same request, the existing job comes back with created=False."""
    if idempotency_key:
        existing = VideoJob.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, fingerprint), False
    # Same-request reuse: an explicit-seed request identical to a video the owner already has
    # completes at once with that video; it queues nothing, so the queue caps do not apply.
    key = reuse.reuse_key(spec)
    reusable = reuse.find_reusable_video(owner, spec, key)
    if reusable is not None:
        try:
            job = reuse.create_reused_job(
                owner, spec, reusable, key=key, idempotency_key=idempotency_key, fingerprint=fingerprint,
                source=source, priority=priority,
            )  # fmt: skip
        except IntegrityError:
            existing = VideoJob.objects.get(owner=owner, idempotency_key=idempotency_key)
            return _replay(existing, fingerprint), False
        return job, True
    queued = VideoJob.objects.filter(status=JobStatus.QUEUED)
    if queued.count() >= settings.COGVIDEO_MAX_QUEUED_TOTAL:
        raise QueueFull("The queue is full; try again in a few minutes.", retry_after=60)
    if queued.filter(owner=owner).count() >= settings.COGVIDEO_MAX_QUEUED_PER_USER:
        raise TooManyQueued(
            f"You already have {settings.COGVIDEO_MAX_QUEUED_PER_USER} queued jobs; wait for some to finish.",
            retry_after=30,
        )
    try:
        with transaction.atomic():
            job = VideoJob.objects.create(
                **job_fields(
                    owner,
                    spec,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    source=source,
                    priority=priority,
                    reuse_key=key,
                )  # fmt: skip
            )
            transaction.on_commit(lambda: enqueue_job(job))
    except IntegrityError:
        # A concurrent request with the same idempotency key won the race.
        existing = VideoJob.objects.get(owner=owner, idempotency_key=idempotency_key)
        return _replay(existing, fingerprint), False
    logger.info("job %s created by user %s", job.id, owner.pk)
    log_job_event(job, "created")
    return job, True


def _replay(job: VideoJob, fingerprint: str) -> VideoJob:
    if fingerprint and job.request_fingerprint and fingerprint != job.request_fingerprint:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used with a different request body.", task_id=str(job.id)
        )
    return job


def _send_finished(job_id) -> None:
    def send() -> None:
        job = VideoJob.objects.select_related("owner", "video").get(pk=job_id)
        job_finished.send(sender=VideoJob, job=job)

    transaction.on_commit(send)


CANCELABLE = (JobStatus.QUEUED, JobStatus.PROCESSING)


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
        )
        job.refresh_from_db()
        if not changed:
            raise JobNotCancelable(f"The job is already {job.status}.", current_status=job.status)
        _send_finished(job.pk)
    logger.info("job %s canceled", job.id)
    return job


def claim_next_job(worker: str) -> VideoJob | None:
    """Take the best queued job (highest priority, then oldest) with a conditional update,
    so two workers (or a duplicate delivery) can never run the same job."""
    for _attempt in range(20):
        candidate = (
            VideoJob.objects.filter(status=JobStatus.QUEUED)
            .order_by("-priority", "created_at")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        now = timezone.now()
        claimed = VideoJob.objects.filter(pk=candidate, status=JobStatus.QUEUED).update(
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


def add_warning(job: VideoJob, message: str) -> None:
    job.refresh_from_db(fields=["warnings"])
    VideoJob.objects.filter(pk=job.pk).update(warnings=[*job.warnings, message])
    job.warnings = [*job.warnings, message]


def record_params(job: VideoJob, **resolved) -> None:
    job.params = {**job.params, **resolved}
    VideoJob.objects.filter(pk=job.pk).update(params=job.params)


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
        )
        if not done:
            return False
        video.save()
        _send_finished(job.pk)
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
        )
        if done:
            _send_finished(job.pk)
    if done:
        logger.warning("job %s failed (%s): %s", job.id, code, message)
    return bool(done)


def requeue_stale_jobs(stale_after: timedelta | None = None, dead_workers: list[str] | None = None) -> dict:
    """The reaper: jobs whose worker stopped heartbeating (or is known dead) go back to the
    queue while attempts remain, otherwise they fail with a clear error."""
    stale_after = stale_after or timedelta(seconds=settings.COGVIDEO_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - stale_after
    is_stale = Q(heartbeat_at__lt=cutoff)
    if dead_workers:
        is_stale |= Q(worker__in=dead_workers)
    stale = VideoJob.objects.filter(is_stale, status=JobStatus.PROCESSING)
    timeout = timedelta(seconds=settings.COGVIDEO_JOB_TIMEOUT)
    result = {"requeued": 0, "failed": 0}
    for job in stale:
        if job.started_at and timezone.now() - job.started_at >= timeout:
            # django-q2 killed the worker at the job time limit: running it again would only
            # hit the same limit.
            message = f"The job ran longer than the limit of {settings.COGVIDEO_JOB_TIMEOUT} s (COGVIDEO_JOB_TIMEOUT)."
            if fail_job(job, "timeout", message):
                result["failed"] += 1
        elif job.attempts < job.max_attempts:
            with transaction.atomic():
                # Re-check staleness in the update: a heartbeat that resumed meanwhile wins.
                moved = VideoJob.objects.filter(
                    is_stale, pk=job.pk, status=JobStatus.PROCESSING, worker=job.worker
                ).update(
                    **BACK_TO_QUEUE,
                    stage="requeued",
                    warnings=[
                        *job.warnings,
                        f"The worker stopped unexpectedly during attempt {job.attempts} of "
                        f"{job.max_attempts}; the job was put back in the queue.",
                    ],
                )
                if moved:
                    transaction.on_commit(lambda job=job: enqueue_job(job))
                    result["requeued"] += 1
                    log_job_event(VideoJob.objects.get(pk=job.pk), "requeued")
        else:
            message = f"worker stopped unexpectedly, {job.attempts} of {job.max_attempts} attempts"
            if fail_job(job, "worker_lost", message.capitalize() + "."):
                result["failed"] += 1
    if result["requeued"] or result["failed"]:
        logger.warning("reaper: %s", result)
    return result


def resend_lost_wakeups(older_than: timedelta | None = None, limit: int = 100) -> int:
    """Queued jobs whose queue message is gone (the Redis broker has no delivery receipt: a
    crash between pop and claim loses it) would wait forever. When the broker holds no
    message but jobs have been queued for a while, send fresh wake-ups; extra ones are
    harmless, a wake-up with nothing to claim does nothing."""
    from django_q.brokers import get_broker

    older_than = older_than or timedelta(seconds=settings.COGVIDEO_STALE_AFTER_SECONDS)
    waiting = list(
        VideoJob.objects.filter(status=JobStatus.QUEUED, created_at__lt=timezone.now() - older_than)
        .order_by("-priority", "created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not waiting or get_broker().queue_size() > 0:
        return 0
    for pk in waiting:
        enqueue_job(VideoJob(pk=pk))
    logger.warning("resent %d queue wake-ups for jobs whose messages were lost", len(waiting))
    return len(waiting)
