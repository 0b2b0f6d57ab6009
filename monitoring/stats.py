"""Numbers about jobs and workers, computed from the database when asked.

One module for every consumer: the Prometheus scrape (monitoring/collectors.py), the staff
dashboard and the extended /api/system/status read these functions, so the three always
show the same success rate and timings for the same jobs.

Definitions (also in docs/MONITORING.md):
- a window ("24h", "7d") selects jobs by when they *finished* (completed, failed, canceled):
  finished_at in (now - window, now] (videos.selectors.finished_in_window, which the API's
  system status uses too);
- success rate = completed / (completed + failed) (videos.selectors.success_rate); canceled
  jobs are the user's choice, not the service's failure, and count in neither;
- generation seconds = finished_at - started_at of completed jobs (the last attempt's run,
  model loading and encoding included); queue wait = started_at - created_at;
- percentiles interpolate linearly between the two nearest ranks (numpy's default).
"""

from __future__ import annotations

import math
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, F, FloatField, Func, Min, Q, Sum
from django.utils import timezone

from videos import media_files
from videos.models import JobStatus, PromptTemplate, VideoJob, WorkerHeartbeat
from videos.selectors import DAY, finished_in_window, local_media_folder, success_rate

WINDOWS: dict[str, timedelta] = {"24h": DAY, "7d": timedelta(days=7)}
FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)
NO_TEMPLATE = "(none)"

# Histogram buckets (seconds). Generation on a GPU takes one to several minutes for
# CogVideoX-2b and longer for 5b; tiny-random finishes in about a second on a CPU.
GENERATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 180, 300, 600, 1200, 1800, 3600)
QUEUE_WAIT_BUCKETS = (0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks; `sorted_values` must be sorted."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def _round(value: float | None, digits: int = 3) -> float | None:
    return round(value, digits) if value is not None else None


@dataclass
class TemplateUsage:
    template: str
    name: str
    completed: int = 0
    failed: int = 0
    canceled: int = 0
    durations: list[float] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.completed + self.failed + self.canceled

    @property
    def failure_rate(self) -> float | None:
        done = self.completed + self.failed
        return round(self.failed / done, 4) if done else None

    @property
    def p50_seconds(self) -> float | None:
        return _round(percentile(sorted(self.durations), 0.5))


@dataclass
class FailureGroup:
    error_code: str
    count: int
    last_message: str
    job_ids: list[str]


@dataclass
class WindowStats:
    window: str
    since: datetime
    until: datetime
    completed: int
    failed: int
    canceled: int
    created: int
    durations: list[float]  # generation seconds of completed jobs, sorted
    queue_waits: list[float]  # queue wait of jobs that started, sorted
    per_hour: list[dict]
    failures: list[FailureGroup]
    slowest: list[dict]
    templates: list[TemplateUsage]

    @property
    def success_rate(self) -> float | None:
        return success_rate(self.completed, self.failed)

    @property
    def mean_seconds(self) -> float | None:
        return _round(sum(self.durations) / len(self.durations)) if self.durations else None

    @property
    def p50_seconds(self) -> float | None:
        return _round(percentile(self.durations, 0.5))

    @property
    def p95_seconds(self) -> float | None:
        return _round(percentile(self.durations, 0.95))

    @property
    def max_seconds(self) -> float | None:
        return _round(self.durations[-1]) if self.durations else None

    def summary(self) -> dict:
        """The headline numbers, as the API and the dashboard show them."""
        return {
            "window": self.window,
            "completed": self.completed,
            "failed": self.failed,
            "canceled": self.canceled,
            "created": self.created,
            "success_rate": self.success_rate,
            "generation_seconds": {
                "mean": self.mean_seconds,
                "p50": self.p50_seconds,
                "p95": self.p95_seconds,
                "max": self.max_seconds,
            },
            "queue_wait_seconds": {
                "p50": _round(percentile(self.queue_waits, 0.5)),
                "p95": _round(percentile(self.queue_waits, 0.95)),
            },
        }


SUMMARY_FIELDS = ("id", "status", "error_code", "created_at", "started_at", "finished_at", "template__slug")
DETAIL_FIELDS = (*SUMMARY_FIELDS, "error", "params", "template__name")


def window_stats(
    window: str = "24h", *, now: datetime | None = None, slowest: int = 10, detail: bool = True
) -> WindowStats:
    """Everything the dashboard shows for one window, from one read of the finished jobs.
    detail=False reads only what the summary needs (the scrape's and the status API's case)."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
    until = now or timezone.now()
    since = until - WINDOWS[window]
    rows = list(
        finished_in_window(WINDOWS[window], now=until)
        .filter(status__in=FINISHED)
        .order_by("-finished_at")
        .values(*(DETAIL_FIELDS if detail else SUMMARY_FIELDS))
    )
    counts = Counter(row["status"] for row in rows)
    durations: list[float] = []
    waits: list[float] = []
    completed_rows: list[tuple[float, dict]] = []
    hours = int(WINDOWS[window].total_seconds() // 3600)
    # Hour buckets aligned to the clock: the last bar is the current (partial) hour.
    last_hour = until.replace(minute=0, second=0, microsecond=0)
    first_hour = last_hour - timedelta(hours=hours - 1)
    per_hour = [
        {"hour": first_hour + timedelta(hours=i), "completed": 0, "failed": 0, "canceled": 0} for i in range(hours)
    ]
    failures: dict[str, list[dict]] = defaultdict(list)
    templates: dict[str, TemplateUsage] = {}
    for row in rows:
        status = row["status"]
        run = _seconds(row["started_at"], row["finished_at"])
        wait = _seconds(row["created_at"], row["started_at"])
        if wait is not None:
            waits.append(wait)
        slug = row["template__slug"] or NO_TEMPLATE
        usage = templates.setdefault(slug, TemplateUsage(slug, row.get("template__name") or "no template"))
        setattr(usage, status, getattr(usage, status) + 1)
        if status == JobStatus.COMPLETED and run is not None:
            durations.append(run)
            usage.durations.append(run)
            completed_rows.append((run, row))
        if status == JobStatus.FAILED:
            failures[row["error_code"] or "unknown"].append(row)
        index = int((row["finished_at"] - first_hour).total_seconds() // 3600)
        if 0 <= index < hours:
            per_hour[index][status] += 1
    for template in PromptTemplate.objects.filter(is_active=True).values("slug", "name"):
        templates.setdefault(template["slug"], TemplateUsage(template["slug"], template["name"]))
    completed_rows.sort(key=lambda item: item[0], reverse=True)
    return WindowStats(
        window=window,
        since=since,
        until=until,
        completed=counts.get(JobStatus.COMPLETED, 0),
        failed=counts.get(JobStatus.FAILED, 0),
        canceled=counts.get(JobStatus.CANCELED, 0),
        created=VideoJob.objects.filter(created_at__gt=since, created_at__lte=until).count(),
        durations=sorted(durations),
        queue_waits=sorted(waits),
        per_hour=per_hour,
        failures=sorted(
            (
                FailureGroup(
                    error_code=code,
                    count=len(group),
                    last_message=group[0].get("error", "")[:300],
                    job_ids=[str(row["id"]) for row in group[:10]],
                )
                for code, group in failures.items()
            ),
            key=lambda item: (-item.count, item.error_code),
        ),
        slowest=[
            {
                "id": str(row["id"]),
                "seconds": round(run, 3),
                "template": row["template__slug"] or NO_TEMPLATE,
                "resolution": row.get("params", {}).get("resolution"),
                "duration": row.get("params", {}).get("duration"),
                "steps": row.get("params", {}).get("num_inference_steps"),
                "finished_at": row["finished_at"],
            }
            for run, row in completed_rows[:slowest]
        ],
        templates=sorted(templates.values(), key=lambda item: (-item.finished, item.template)),
    )


# --- Queue and workers ------------------------------------------------------------------------


def queue_stats(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    by_status = dict(
        VideoJob.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.PROCESSING])
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    oldest = VideoJob.objects.filter(status=JobStatus.QUEUED).aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "queued": by_status.get(JobStatus.QUEUED, 0),
        "processing": by_status.get(JobStatus.PROCESSING, 0),
        "oldest_queued_age_seconds": _round(_seconds(oldest, now), 1),
    }


def worker_telemetry(worker: WorkerHeartbeat, *, now: datetime | None = None) -> dict:
    """What one worker reported in its last heartbeat, GPU memory included."""
    now = now or timezone.now()
    return {
        "name": worker.name,
        "hostname": worker.hostname,
        "pid": worker.pid,
        "device": worker.device,
        "device_name": worker.device_name or None,
        "model": worker.model,
        "model_loaded": worker.model_loaded,
        "model_load_seconds": _round(worker.model_load_seconds),
        "memory_mode": worker.memory_mode,
        "current_job": str(worker.current_job) if worker.current_job else None,
        "last_seen": worker.last_seen,
        "last_seen_age_seconds": _round(_seconds(worker.last_seen, now), 1),
        "started_at": worker.started_at,
        "pipeline_runs": worker.pipeline_runs,
        "model_loads": worker.model_loads,
        "gpu_memory": {
            "allocated_bytes": worker.gpu_memory_allocated_bytes,
            "reserved_bytes": worker.gpu_memory_reserved_bytes,
            "peak_bytes": worker.gpu_memory_peak_bytes,
            "free_bytes": worker.gpu_memory_free_bytes,
            "total_bytes": worker.gpu_memory_total_bytes,
        },
    }


def disk_stats() -> dict:
    folder = local_media_folder()
    usage = shutil.disk_usage(folder)
    return {"path": str(folder), "free_bytes": usage.free, "total_bytes": usage.total, **media_files.describe()}


def extend_system_status(status: dict, workers: list[WorkerHeartbeat]) -> dict:
    """Adds the operators' fields to GET /api/system/status (registered with
    videos.selectors.register_system_status_extension in MonitoringConfig.ready):
    per-worker telemetry (device name, GPU memory, model load time, heartbeat age), the 24 h
    mean/p50/p95 generation time and the oldest queued job's age."""
    now = timezone.now()
    day = window_stats("24h", now=now, slowest=0, detail=False).summary()
    status["queue"]["oldest_queued_age_seconds"] = queue_stats(now=now)["oldest_queued_age_seconds"]
    status["jobs_24h"].update(
        canceled=day["canceled"],
        mean_seconds=day["generation_seconds"]["mean"],
        p50_seconds=day["generation_seconds"]["p50"],
        p95_seconds=day["generation_seconds"]["p95"],
        queue_wait_p95_seconds=day["queue_wait_seconds"]["p95"],
    )
    telemetry = {worker.name: worker_telemetry(worker, now=now) for worker in workers}
    for entry in status["workers"]["list"]:
        extra = telemetry.get(entry["name"])
        if extra is None:
            continue
        for key in ("hostname", "pid", "device_name", "model_load_seconds", "last_seen_age_seconds", "gpu_memory"):
            entry.setdefault(key, extra[key])
        entry.setdefault("heartbeat_at", entry.get("last_seen"))
    return status


# --- All-time aggregates for Prometheus --------------------------------------------------------


def job_counts_by_label() -> list[dict]:
    """Jobs by status, model and template, all time (rows, so a deleted job stops counting)."""
    return list(
        # `model`: the job's column (its served model; migration 0012 filled it from params).
        VideoJob.objects.values("status", "model", "template__slug").annotate(n=Count("id")).order_by()
    )


def failures_by_error_code() -> dict[str, int]:
    return dict(
        VideoJob.objects.filter(status=JobStatus.FAILED)
        .values_list("error_code")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("error_code", "n")
    )


class SecondsBetween(Func):
    """end - start in seconds, computed by the database itself. Django's generic datetime
    subtraction calls a Python function per row on SQLite, which made a scrape of 20,000 jobs
    take seconds; julianday() / EXTRACT(EPOCH) keep it in SQL."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            # julianday() is a double of ~2.46 million days: about 50 us of precision, so
            # round to the millisecond or a 300.000 s job could miss the le="300" bucket.
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra_context
        )


def duration_histograms(kind: str) -> list[dict]:
    """Cumulative bucket counts, sum and count per model.

    kind "generation": finished_at - started_at of completed jobs.
    kind "queue_wait": started_at - created_at of every job that has started.
    """
    if kind == "generation":
        jobs = VideoJob.objects.filter(status=JobStatus.COMPLETED, started_at__isnull=False, finished_at__isnull=False)
        end, start, buckets = "finished_at", "started_at", GENERATION_BUCKETS
    elif kind == "queue_wait":
        jobs = VideoJob.objects.filter(started_at__isnull=False)
        end, start, buckets = "started_at", "created_at", QUEUE_WAIT_BUCKETS
    else:
        raise ValueError(kind)
    if connection.vendor not in {"sqlite", "postgresql"}:
        return _histograms_in_python(jobs, end, start, buckets)
    aggregates = {f"le_{index}": Count("id", filter=Q(span__lte=bound)) for index, bound in enumerate(buckets)}
    rows = (
        jobs.annotate(span=SecondsBetween(F(end), F(start)))
        .values("model")
        .annotate(count=Count("id"), total=Sum("span"), **aggregates)
        .order_by()
    )
    return [
        {
            "model": row["model"] or "",
            "buckets": [(bound, row[f"le_{index}"]) for index, bound in enumerate(buckets)],
            "count": row["count"],
            "sum": float(row["total"] or 0),
        }
        for row in rows
    ]


def _histograms_in_python(jobs, end: str, start: str, buckets) -> list[dict]:
    """Other databases: the same numbers, computed here from the timestamps."""
    by_model: dict[str, list[float]] = defaultdict(list)
    for model, finish, begin in jobs.values_list("model", end, start).iterator():
        by_model[model or ""].append((finish - begin).total_seconds())
    return [
        {
            "model": model,
            "buckets": [(bound, sum(1 for v in values if v <= bound)) for bound in buckets],
            "count": len(values),
            "sum": sum(values),
        }
        for model, values in sorted(by_model.items())
    ]


def webhook_delivery_counts() -> dict[str, int] | None:
    """Webhook deliveries by status, when the CMS integration keeps a delivery log."""
    from django.apps import apps

    try:
        model = apps.get_model("cms_integration", "WebhookDelivery")
    except LookupError:
        return None
    return dict(model.objects.values_list("status").annotate(n=Count("id")).order_by().values_list("status", "n"))
