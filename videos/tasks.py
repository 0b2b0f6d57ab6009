"""django-q2 entry points, named by the messages on the queue: keep these dotted paths
(queued messages and the reaper schedule of migration 0007 refer to them). Nothing is
defined twice: the job runner is videos.worker.run_next_job (imported without torch; the
engine loads it inside functions) and the reaper is services.reap, the same pass the
heartbeat thread runs."""

from __future__ import annotations

from . import services
from .worker import run_next_job

__all__ = ["reap_stale_jobs", "run_next_job"]


def reap_stale_jobs() -> dict:
    return services.reap()
