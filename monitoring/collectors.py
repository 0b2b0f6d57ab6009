"""The Prometheus collector that reads the database at scrape time.

Job numbers live in the database (the job row is the source of truth) and worker numbers
arrive there through each worker's heartbeat, so every web process answers a scrape with
the same values and nothing is lost when a worker process exits.
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from videos.models import JobStatus
from videos.selectors import live_workers

from . import stats

FINISHED_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


class DatabaseCollector:
    def collect(self):
        yield from self._jobs()
        yield from self._histograms()
        yield from self._queue()
        yield from self._windows()
        yield from self._workers()
        yield from self._webhooks()
        disk = stats.disk_stats()
        yield GaugeMetricFamily(
            "cogvideo_media_disk_free_bytes",
            "Free bytes on the media volume (the data folder's with media in an object store).",
            value=disk["free_bytes"],
        )
        yield GaugeMetricFamily(
            "cogvideo_media_disk_total_bytes",
            "Size of the media volume (the data folder's with media in an object store).",
            value=disk["total_bytes"],
        )

    def _jobs(self):
        created = CounterMetricFamily(
            "cogvideo_jobs_created", "Jobs accepted, by model and prompt template.", labels=["model", "template"]
        )
        finished = CounterMetricFamily(
            "cogvideo_jobs_finished",
            "Jobs that reached a final state (completed, failed, canceled), by model and template.",
            labels=["status", "model", "template"],
        )
        created_totals: dict[tuple[str, str], int] = {}
        for row in stats.job_counts_by_label():
            key = (row["model"] or "", row["template__slug"] or "")
            created_totals[key] = created_totals.get(key, 0) + row["n"]
            if row["status"] in FINISHED_STATUSES:
                finished.add_metric([row["status"], *key], row["n"])
        for key, total in sorted(created_totals.items()):
            created.add_metric(list(key), total)
        yield created
        yield finished
        failures = CounterMetricFamily(
            "cogvideo_job_failures", "Failed jobs by error code (error kind).", labels=["error_code"]
        )
        for code, count in sorted(stats.failures_by_error_code().items()):
            failures.add_metric([code or "unknown"], count)
        yield failures

    def _histograms(self):
        for kind, name, help_text in (
            (
                "generation",
                "cogvideo_job_generation_seconds",
                "finished_at - started_at of completed jobs (model load, denoising, decoding, encoding).",
            ),
            ("queue_wait", "cogvideo_job_queue_wait_seconds", "started_at - created_at of jobs that started."),
        ):
            family = HistogramMetricFamily(name, help_text, labels=["model"])
            for row in stats.duration_histograms(kind):
                buckets = [(floatToGoString(bound), count) for bound, count in row["buckets"]] + [
                    ("+Inf", row["count"])
                ]
                family.add_metric([row["model"]], buckets, sum_value=row["sum"])
            yield family

    def _queue(self):
        queue = stats.queue_stats()
        depth = GaugeMetricFamily("cogvideo_queue_depth", "Jobs waiting or running, by status.", labels=["status"])
        depth.add_metric(["queued"], queue["queued"])
        depth.add_metric(["processing"], queue["processing"])
        yield depth
        yield GaugeMetricFamily(
            "cogvideo_queue_oldest_job_age_seconds",
            "Age of the oldest queued job (0 when the queue is empty).",
            value=queue["oldest_queued_age_seconds"] or 0,
        )

    def _windows(self):
        """The dashboard's headline numbers, computed by the same code, so Prometheus and the
        dashboard agree exactly (histogram_quantile over the buckets only approximates)."""
        rate = GaugeMetricFamily(
            "cogvideo_jobs_success_ratio",
            "completed / (completed + failed) of jobs finished in the window; NaN with no jobs.",
            labels=["window"],
        )
        seconds = GaugeMetricFamily(
            "cogvideo_jobs_window_generation_seconds",
            "Generation seconds of completed jobs finished in the window: mean, p50, p95, max.",
            labels=["window", "stat"],
        )
        finished = GaugeMetricFamily(
            "cogvideo_jobs_window_finished", "Jobs finished in the window, by status.", labels=["window", "status"]
        )
        for window in stats.WINDOWS:
            summary = stats.window_stats(window, slowest=0, detail=False).summary()
            rate.add_metric([window], _number(summary["success_rate"]))
            for stat, value in summary["generation_seconds"].items():
                seconds.add_metric([window, stat], _number(value))
            for status in ("completed", "failed", "canceled"):
                finished.add_metric([window, status], summary[status])
        yield rate
        yield seconds
        yield finished

    def _workers(self):
        workers = [stats.worker_telemetry(worker) for worker in live_workers()]
        yield GaugeMetricFamily("cogvideo_workers_alive", "Workers whose heartbeat is fresh.", value=len(workers))
        gauges = {
            "busy": GaugeMetricFamily("cogvideo_worker_busy", "1 while the worker runs a job.", labels=["worker"]),
            "model_loaded": GaugeMetricFamily(
                "cogvideo_worker_model_loaded", "1 once the worker holds the model.", labels=["worker", "model"]
            ),
            "load": GaugeMetricFamily(
                "cogvideo_worker_model_load_seconds",
                "Seconds the worker took to load the model.",
                labels=["worker", "model"],
            ),
            "seen": GaugeMetricFamily(
                "cogvideo_worker_heartbeat_age_seconds", "Seconds since the worker's last heartbeat.", labels=["worker"]
            ),
            "runs": CounterMetricFamily(
                "cogvideo_worker_pipeline_runs", "Pipeline runs by this worker process.", labels=["worker"]
            ),
        }
        memory = {
            key: GaugeMetricFamily(
                f"cogvideo_worker_gpu_memory_{key}_bytes", help_text, labels=["worker", "device", "device_name"]
            )
            for key, help_text in (
                ("allocated", "GPU memory held by tensors of this worker (torch.cuda.memory_allocated)."),
                ("reserved", "GPU memory reserved by this worker's caching allocator."),
                ("peak", "Peak GPU memory allocated by this worker since it started."),
                ("free", "Free memory on the worker's GPU (all processes)."),
                ("total", "Total memory of the worker's GPU."),
            )
        }
        for worker in workers:
            name = worker["name"]
            gauges["busy"].add_metric([name], 1 if worker["current_job"] else 0)
            gauges["model_loaded"].add_metric([name, worker["model"]], 1 if worker["model_loaded"] else 0)
            if worker["model_load_seconds"] is not None:
                gauges["load"].add_metric([name, worker["model"]], worker["model_load_seconds"])
            gauges["seen"].add_metric([name], worker["last_seen_age_seconds"] or 0)
            gauges["runs"].add_metric([name], worker["pipeline_runs"])
            for key, family in memory.items():
                value = worker["gpu_memory"][f"{key}_bytes"]
                if value is not None:
                    family.add_metric([name, worker["device"], worker["device_name"] or ""], value)
        yield from gauges.values()
        yield from memory.values()

    def _webhooks(self):
        counts = stats.webhook_delivery_counts()
        if counts is None:
            return
        family = GaugeMetricFamily(
            "cogvideo_webhook_deliveries", "Webhook deliveries by outcome (status).", labels=["status"]
        )
        for status in ("pending", "retrying", "delivered", "failed"):
            family.add_metric([status], counts.pop(status, 0))
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        yield family


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)
