"""django-q2 entry points. They only call services; the job row holds all state."""

from __future__ import annotations


def run_next_job(hint_job_id: str | None = None) -> str | None:
    from .worker import run_next_job as run

    return run(hint_job_id)


def reap_stale_jobs() -> dict:
    from .services import requeue_stale_jobs, resend_lost_wakeups

    result = requeue_stale_jobs()
    result["wakeups_resent"] = resend_lost_wakeups()
    return result
