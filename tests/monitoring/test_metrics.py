"""GET /metrics in-process: who may read it, and what it says about known jobs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live import ROOT
from tests.videos.factories import make_job
from videos import worker
from videos.models import WorkerHeartbeat

TOKEN = "metrics-test-token-0123456789"


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    client = client or Client(REMOTE_ADDR="127.0.0.1")
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


# --- access ----------------------------------------------------------------------------------


def test_without_settings_only_loopback_may_read(db, settings):
    settings.COGVIDEO_METRICS_TOKEN = ""
    settings.COGVIDEO_METRICS_ALLOWED_IPS = []
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 403 and b"cogvideo_" not in response.content


def test_token_is_required_when_set(db, settings):
    settings.COGVIDEO_METRICS_TOKEN = TOKEN
    settings.COGVIDEO_METRICS_ALLOWED_IPS = []
    remote = Client(REMOTE_ADDR="203.0.113.9")
    missing = remote.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401
    # Loopback gets no free pass once a token is configured.
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 401
    assert remote.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_allowed_networks(db, settings):
    settings.COGVIDEO_METRICS_TOKEN = ""
    settings.COGVIDEO_METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]
    assert Client(REMOTE_ADDR="10.20.30.40").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.8").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_token_and_networks_must_both_match(db, settings):
    settings.COGVIDEO_METRICS_TOKEN = TOKEN
    settings.COGVIDEO_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert Client(REMOTE_ADDR="10.1.1.1").get("/metrics", **auth).status_code == 200
    assert Client(REMOTE_ADDR="10.1.1.1").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics", **auth).status_code == 403


def test_a_forwarded_request_is_never_a_loopback_client(db, settings):
    """nginx on the same host connects from 127.0.0.1 and adds X-Forwarded-For: without a
    token or networks, the outside client behind it is refused, trusted proxy or not."""
    settings.COGVIDEO_METRICS_TOKEN = ""
    settings.COGVIDEO_METRICS_ALLOWED_IPS = []
    for trust in (False, True):
        settings.COGVIDEO_TRUST_X_FORWARDED_FOR = trust
        for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"):
            forwarded = Client(REMOTE_ADDR="127.0.0.1", **{header: "203.0.113.9"}).get("/metrics")
            assert forwarded.status_code == 403 and b"COGVIDEO_METRICS_TOKEN" in forwarded.content


def test_allowed_networks_honour_x_forwarded_for_only_from_trusted_proxies(db, settings):
    settings.COGVIDEO_METRICS_TOKEN = ""
    settings.COGVIDEO_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.COGVIDEO_TRUST_X_FORWARDED_FOR = True
    settings.COGVIDEO_TRUSTED_PROXIES = ["127.0.0.1"]
    via_proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.1.1.1")
    assert via_proxy.get("/metrics").status_code == 200  # the entry the proxy appended counts
    spoofed = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.1.1, 203.0.113.9")
    assert spoofed.get("/metrics").status_code == 403
    # From a peer that is not a configured proxy the header says nothing.
    assert Client(REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="10.1.1.1").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="10.2.2.2").get("/metrics").status_code == 403
    settings.COGVIDEO_TRUST_X_FORWARDED_FOR = False
    assert via_proxy.get("/metrics").status_code == 403


def test_a_bad_network_setting_is_a_clear_error(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.COGVIDEO_METRICS_ALLOWED_IPS = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="COGVIDEO_METRICS_ALLOWED_IPS: '10.0.0.0/33'"):
        Client(REMOTE_ADDR="10.1.1.1").get("/metrics")


def test_only_get_and_head(db):
    assert Client(REMOTE_ADDR="127.0.0.1").post("/metrics").status_code == 405


# --- content -----------------------------------------------------------------------------------


def test_job_counters_histograms_and_queue_match_the_known_jobs(known_jobs):
    samples = scrape()
    finished = lambda status, template: value(  # noqa: E731
        samples, "cogvideo_jobs_finished_total", status=status, model="tiny-random", template=template
    )
    assert finished("completed", "sunset") == 3  # 2 today, 1 three days ago
    assert finished("failed", "sunset") == 2
    assert finished("failed", "city") == 2 and finished("completed", "city") == 1
    assert finished("completed", "") == 2 and finished("canceled", "") == 1
    created = lambda template: value(samples, "cogvideo_jobs_created_total", model="tiny-random", template=template)  # noqa: E731
    assert (created("sunset"), created("city"), created("")) == (5, 3, 5)
    assert value(samples, "cogvideo_job_failures_total", error_code="out_of_memory") == 2
    assert value(samples, "cogvideo_job_failures_total", error_code="worker_lost") == 1

    bucket = lambda le: value(samples, "cogvideo_job_generation_seconds_bucket", model="tiny-random", le=le)  # noqa: E731
    assert [bucket(le) for le in ("60.0", "120.0", "300.0", "600.0", "1200.0", "+Inf")] == [0, 1, 3, 4, 5, 6]
    assert value(samples, "cogvideo_job_generation_seconds_count", model="tiny-random") == 6
    assert value(samples, "cogvideo_job_generation_seconds_sum", model="tiny-random") == pytest.approx(7000)
    # Queue wait: every job that started (10 finished ones that ran, plus the running one).
    assert value(samples, "cogvideo_job_queue_wait_seconds_count", model="tiny-random") == 11

    assert value(samples, "cogvideo_queue_depth", status="queued") == 1
    assert value(samples, "cogvideo_queue_depth", status="processing") == 1
    assert 119 <= value(samples, "cogvideo_queue_oldest_job_age_seconds") < 180

    assert value(samples, "cogvideo_jobs_success_ratio", window="24h") == round(4 / 7, 4)
    assert value(samples, "cogvideo_jobs_success_ratio", window="7d") == round(5 / 9, 4)
    assert value(samples, "cogvideo_jobs_window_generation_seconds", window="24h", stat="p95") == 385.0
    assert value(samples, "cogvideo_jobs_window_generation_seconds", window="7d", stat="p50") == 300.0
    assert value(samples, "cogvideo_jobs_window_finished", window="24h", status="failed") == 3


def test_a_job_run_here_moves_the_counters_and_the_worker_reports_itself(owner):
    before = scrape()
    job = make_job(owner)
    worker.run_next_job()
    worker.beat()
    after = scrape()
    labels = {"status": "completed", "model": "tiny-random", "template": ""}
    assert (
        value(after, "cogvideo_jobs_finished_total", **labels)
        == before.get(("cogvideo_jobs_finished_total", tuple(sorted(labels.items()))), 0) + 1
    )
    job.refresh_from_db()
    seconds = (job.finished_at - job.started_at).total_seconds()
    assert value(after, "cogvideo_job_generation_seconds_sum", model="tiny-random") == pytest.approx(seconds, abs=1e-3)
    name = worker.worker_name()
    assert value(after, "cogvideo_workers_alive") >= 1
    assert value(after, "cogvideo_worker_model_loaded", worker=name, model="tiny-random") == 1
    heartbeat = WorkerHeartbeat.objects.get(name=name)
    assert heartbeat.model_load_seconds is not None and heartbeat.model_load_seconds > 0
    assert value(after, "cogvideo_worker_model_load_seconds", worker=name, model="tiny-random") == pytest.approx(
        heartbeat.model_load_seconds
    )
    assert heartbeat.device == "cpu" and heartbeat.device_name  # CPU: no GPU memory to report
    assert heartbeat.gpu_memory_total_bytes is None


def test_gpu_memory_of_live_workers_only(db):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        name="gpu-box:7",
        hostname="gpu-box",
        pid=7,
        device="cuda:0",
        device_name="NVIDIA H100 80GB HBM3",
        model="THUDM/CogVideoX-2b",
        model_loaded=True,
        model_load_seconds=41.5,
        gpu_memory_allocated_bytes=9 * 2**30,
        gpu_memory_reserved_bytes=10 * 2**30,
        gpu_memory_peak_bytes=17 * 2**30,
        gpu_memory_free_bytes=60 * 2**30,
        gpu_memory_total_bytes=80 * 2**30,
        last_seen=now,
    )
    WorkerHeartbeat.objects.create(
        name="gone:8",
        hostname="gone",
        pid=8,
        device="cuda:1",
        gpu_memory_total_bytes=1,
        last_seen=now - timezone.timedelta(hours=1),
    )
    samples = scrape()
    gpu = {"worker": "gpu-box:7", "device": "cuda:0", "device_name": "NVIDIA H100 80GB HBM3"}
    assert value(samples, "cogvideo_worker_gpu_memory_peak_bytes", **gpu) == 17 * 2**30
    assert value(samples, "cogvideo_worker_gpu_memory_total_bytes", **gpu) == 80 * 2**30
    assert value(samples, "cogvideo_worker_gpu_memory_free_bytes", **gpu) == 60 * 2**30
    assert value(samples, "cogvideo_worker_model_load_seconds", worker="gpu-box:7", model="THUDM/CogVideoX-2b") == 41.5
    assert value(samples, "cogvideo_workers_alive") == 1
    assert not any(labels and ("worker", "gone:8") in labels for _name, labels in samples)


def test_http_requests_are_counted_by_endpoint(db):
    client = Client(REMOTE_ADDR="127.0.0.1")
    before = scrape(client)
    for _ in range(3):
        client.get("/api/health")
    client.get("/api/no-such-endpoint")
    after = scrape(client)
    key = ("cogvideo_http_requests_total", (("endpoint", "api-health"), ("method", "GET"), ("status", "200")))
    assert after[key] - before.get(key, 0) == 3
    missing = ("cogvideo_http_requests_total", (("endpoint", "unmatched"), ("method", "GET"), ("status", "404")))
    assert after[missing] - before.get(missing, 0) == 1
    count = ("cogvideo_http_request_duration_seconds_count", (("endpoint", "api-health"), ("method", "GET")))
    assert after[count] - before.get(count, 0) == 3


def test_counters_of_several_processes_add_up(tmp_path):
    """The multiprocess mode as gunicorn uses it: separate processes record, one scrape sums."""
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
        from monitoring import http_metrics
        for _ in range(int(sys.argv[2])):
            http_metrics.observe("GET", "api-status", 200, 0.02)
        """
    )
    for count in (2, 5):
        subprocess.run([sys.executable, "-c", script, str(tmp_path), str(count)], check=True, timeout=60, cwd=ROOT)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(tmp_path))
    total = registry.get_sample_value(
        "cogvideo_http_requests_total", {"method": "GET", "endpoint": "api-status", "status": "200"}
    )
    assert total == 7
    bucket = registry.get_sample_value(
        "cogvideo_http_request_duration_seconds_bucket", {"method": "GET", "endpoint": "api-status", "le": "0.025"}
    )
    assert bucket == 7


def test_webhook_deliveries_by_outcome(db):
    from cms_integration.models import WebhookDelivery

    for status, count in (("delivered", 3), ("failed", 2), ("retrying", 1)):
        for _ in range(count):
            WebhookDelivery.objects.create(
                event_type="video.completed", url="https://cms.example/hook", payload={}, status=status
            )
    samples = scrape()
    outcomes = {
        s: value(samples, "cogvideo_webhook_deliveries", status=s)
        for s in ("delivered", "failed", "retrying", "pending")
    }
    assert outcomes == {"delivered": 3, "failed": 2, "retrying": 1, "pending": 0}
