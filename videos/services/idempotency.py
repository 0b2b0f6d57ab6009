"""Idempotency keys: one policy for every door that takes one (API generate and cancel, the
studio form, batch rows, clients' retries).

- A key is per user and per scope ("generate", "cancel:<job id>", ...). It is honoured for
  COGVIDEO_IDEMPOTENCY_HOURS after its first use; afterwards it is free again.
- Within that window the same key with the same request gets the first answer again (the
  stored body, not the current state), and with a different request a 409
  (`IdempotencyConflict`, one message wherever it happens).
- A key that created a job is also written on the job row, where a unique constraint makes
  concurrent requests with one key create one job. Batch runs find their rows' jobs by it
  (videos/batch/runner.py), so it stays on the job; a request that reuses it after the window
  moves it to the new job (`bound_job`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import IdempotencyRecord, VideoJob
from .errors import IdempotencyConflict

CONFLICT_MESSAGE = "This Idempotency-Key was already used with a different request."
GENERATE_SCOPE = "generate"


def window_start():
    return timezone.now() - timedelta(hours=settings.COGVIDEO_IDEMPOTENCY_HOURS)


def conflict(**extra) -> IdempotencyConflict:
    return IdempotencyConflict(CONFLICT_MESSAGE, **extra)


def stored_answer(user, key: str, scope: str, fingerprint: str) -> IdempotencyRecord | None:
    """The first answer given to this key in the window; a conflict if it answered another
    request."""
    record = IdempotencyRecord.objects.filter(owner=user, key=key, scope=scope, created_at__gte=window_start()).first()
    if record is not None and record.fingerprint != fingerprint:
        raise conflict()
    return record


def remember_answer(user, key: str, scope: str, fingerprint: str, status_code: int, body: dict) -> IdempotencyRecord:
    """Store the answer; if a concurrent request stored one first, that one wins."""
    IdempotencyRecord.objects.filter(owner=user, key=key, scope=scope).exclude(created_at__gte=window_start()).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                owner=user, key=key, scope=scope, fingerprint=fingerprint, status_code=status_code, body=body
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(owner=user, key=key, scope=scope)


def bound_job(owner, key: str, fingerprint: str) -> VideoJob | None:
    """The job this key created, if it is still in the window (a conflict if it was created
    for another request). A key older than the window is taken off its old job, so the
    caller can bind it to a new one."""
    job = VideoJob.objects.filter(owner=owner, idempotency_key=key).first()
    if job is None:
        return None
    if job.created_at < window_start():
        VideoJob.objects.filter(pk=job.pk, idempotency_key=key).update(idempotency_key="")
        return None
    return check_same_request(job, fingerprint)


def check_same_request(job: VideoJob, fingerprint: str) -> VideoJob:
    if fingerprint and job.request_fingerprint and fingerprint != job.request_fingerprint:
        raise conflict(task_id=str(job.id))
    return job
