"""One structured log line per job state change (logger `cogvideo.jobs`).

Called from videos/services/ for created, started and requeued, and from the job_finished
signal (connected by monitoring/) for completed, failed and canceled. With
COGVIDEO_LOG_FORMAT=json the fields below become keys of the JSON line. Only ids, names and
numbers are logged: never the prompt, the metadata or anything from the request headers.
"""

from __future__ import annotations

import logging

from .models import VideoJob

logger = logging.getLogger("cogvideo.jobs")

LEVELS = {"failed": logging.WARNING}


def _seconds(start, end) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def job_log_fields(job: VideoJob, event: str) -> dict:
    template = job.template.slug if job.template_id and job.template else None
    fields = {
        "event": f"job.{event}",
        "job_id": str(job.id),
        "user_id": job.owner_id,
        "status": job.status,
        "template": template,
        "model": job.params.get("model"),
        "attempt": job.attempts,
        # Queue wait and run time, each only once the job has reached that point.
        "queue_seconds": _seconds(job.created_at, job.started_at),
        "seconds": _seconds(job.started_at, job.finished_at),
        "error_kind": job.error_code or None,
        "worker": job.worker or None,
    }
    return fields


def log_job_event(job: VideoJob, event: str) -> None:
    fields = job_log_fields(job, event)
    summary = " ".join(f"{key}={value}" for key, value in fields.items() if key != "event" and value is not None)
    logger.log(LEVELS.get(event, logging.INFO), "%s %s", fields["event"], summary, extra={"fields": fields})
