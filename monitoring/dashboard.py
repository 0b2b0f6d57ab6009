"""The staff dashboard's content: numbers from monitoring/stats.py, charts from charts.py."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from videos.selectors import live_workers

from . import charts, stats

DURATION_BINS = (5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)


def _duration_histogram(durations: list[float]) -> list[dict]:
    """Completed jobs per generation-time bin, for the distribution chart."""
    bins = [{"label": f"<={bound:g}s", "bound": bound, "completed": 0} for bound in DURATION_BINS]
    bins.append({"label": f">{DURATION_BINS[-1]:g}s", "bound": None, "completed": 0})
    for value in durations:
        for item in bins:
            if item["bound"] is None or value <= item["bound"]:
                item["completed"] += 1
                break
    return bins


def job_admin_url(job_id: str) -> str:
    return reverse("admin:videos_videojob_change", args=[job_id])


def dashboard_context(window: str) -> dict:
    now = timezone.now()
    selected = stats.window_stats(window, now=now)
    summaries = [
        selected.summary() if name == window else stats.window_stats(name, now=now, slowest=0, detail=False).summary()
        for name in stats.WINDOWS
    ]
    hour_label = (lambda c: f"{c['hour']:%H:00}") if window == "24h" else (lambda c: f"{c['hour']:%a %H:00}")
    series = ["completed", "failed", "canceled"]
    per_hour_chart = charts.stacked_bars(
        selected.per_hour,
        series,
        label_every=3 if window == "24h" else 24,
        label=hour_label,
        title=f"Jobs finished per hour, last {window}",
    )
    duration_chart = charts.stacked_bars(
        _duration_histogram(selected.durations),
        ["completed"],
        label_every=1,
        label=lambda c: c["label"],
        title=f"Generation time of completed jobs, last {window}",
        height=150,
    )
    workers = [stats.worker_telemetry(worker, now=now) for worker in live_workers()]
    for worker in workers:
        worker["current_job_url"] = job_admin_url(worker["current_job"]) if worker["current_job"] else None
    failures = [
        {
            "error_code": group.error_code,
            "count": group.count,
            "last_message": group.last_message,
            "jobs": [{"id": job_id, "url": job_admin_url(job_id)} for job_id in group.job_ids],
        }
        for group in selected.failures
    ]
    for job in selected.slowest:
        job["url"] = job_admin_url(job["id"])
    return {
        "window": window,
        "windows": list(stats.WINDOWS),
        "now": now,
        "summaries": summaries,
        "selected": selected,
        "per_hour_chart": per_hour_chart,
        "per_hour_legend": charts.legend(series),
        "duration_chart": duration_chart,
        "failures": failures,
        "failed_jobs_url": reverse("admin:videos_videojob_changelist") + "?status__exact=failed",
        "slowest": selected.slowest,
        "templates": selected.templates,
        "workers": workers,
        "queue": stats.queue_stats(now=now),
        "disk": stats.disk_stats(),
    }
