"""Receivers that turn domain signals into structured log lines."""

from __future__ import annotations

from videos.job_log import log_job_event
from videos.models import VideoJob


def log_finished_job(sender, job: VideoJob, **_kwargs) -> None:
    log_job_event(job, job.status)
