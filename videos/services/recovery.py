"""The reaper: nothing accepted is lost or left in `processing`. It runs in every GPU
worker's heartbeat thread and as a django-q2 schedule (videos.tasks.reap_stale_jobs); both
call `reap`."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..job_log import log_job_event
from ..job_specs import model_queue
from ..models import JobStatus, VideoJob
from .lifecycle import BACK_TO_QUEUE, enqueue_job, fail_job

logger = logging.getLogger(__name__)


def reap() -> dict:
    """One pass of the reaper: stale jobs requeued or failed, lost wake-ups resent."""
    result = requeue_stale_jobs()
    result["wakeups_resent"] = resend_lost_wakeups()
    return result


def requeue_stale_jobs(stale_after: timedelta | None = None, dead_workers: list[str] | None = None) -> dict:
    """Jobs whose worker stopped heartbeating (or is known dead) go back to the queue while
    attempts remain, otherwise they fail with a clear error."""
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
        .values_list("pk", "model")[:limit]
    )
    # Each model has its own queue (lifecycle.model_queue): judged one queue at a time.
    by_queue: dict[str, list] = {}
    for pk, model in waiting:
        by_queue.setdefault(model_queue(model), []).append(VideoJob(pk=pk, model=model))
    sent = 0
    for queue, jobs in by_queue.items():
        if get_broker(queue).queue_size() > 0:
            continue
        for job in jobs:
            enqueue_job(job)
        sent += len(jobs)
    if sent:
        logger.warning("resent %d queue wake-ups for jobs whose messages were lost", sent)
    return sent
