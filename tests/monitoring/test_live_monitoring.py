"""The operators' view against real processes: gunicorn (2 workers) and a django-q2 cluster
running the tiny model, on their own data folder with a metrics token and JSON logs."""

from __future__ import annotations

import json
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring.conftest import CREATED_SECRETS
from tests.monitoring.secrets_scan import service_secrets
from tests.support.live import LiveService, tiny_job

pytestmark = pytest.mark.live

METRICS_TOKEN = "mt-" + secrets.token_urlsafe(24)
ADMIN_PASSWORD = "pw-" + secrets.token_urlsafe(18)
GENERATION_BOUNDS = ("1.0", "2.5", "5.0", "10.0", "30.0", "60.0", "120.0", "180.0", "300.0", "600.0")


@pytest.fixture(scope="module")
def ops(session_dir):
    CREATED_SECRETS.extend([METRICS_TOKEN, ADMIN_PASSWORD])
    service = LiveService(
        session_dir / "monitoring-live",
        extra_env={"COGVIDEO_METRICS_TOKEN": METRICS_TOKEN, "COGVIDEO_LOG_FORMAT": "json"},
    ).start()
    service.submitted = {"completed": [], "failed": []}
    try:
        yield service
    finally:
        # Read the secrets while the service (and its database) still exists.
        CREATED_SECRETS.extend(service_secrets(service))
        service.stop()


@pytest.fixture(scope="module")
def ops_client(ops):
    with ops.client(ops.create_token("olga")) as client:
        yield client


def scrape(ops) -> dict[tuple[str, tuple], float]:
    response = httpx.get(f"{ops.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def get(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def run_job(ops, client) -> dict:
    response = client.post("/api/generate", json=tiny_job())
    assert response.status_code == 200, response.text
    return ops.wait_for(client, response.json()["task_id"])


def seconds_between(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def test_metrics_need_the_token(ops):
    assert httpx.get(f"{ops.url}/metrics").status_code == 401
    wrong = httpx.get(f"{ops.url}/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and "cogvideo_" not in wrong.text
    assert httpx.get(f"{ops.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_a_completed_job_moves_counters_and_histogram_buckets(ops, ops_client):
    labels = {"model": "tiny-random", "template": ""}
    before = scrape(ops)
    body = run_job(ops, ops_client)
    assert body["status"] == "completed"
    ops.submitted["completed"].append(body["task_id"])
    after = scrape(ops)
    assert (
        get(after, "cogvideo_jobs_created_total", **labels) - get(before, "cogvideo_jobs_created_total", **labels) == 1
    )
    finished = {"status": "completed", **labels}
    assert (
        get(after, "cogvideo_jobs_finished_total", **finished) - get(before, "cogvideo_jobs_finished_total", **finished)
        == 1
    )
    # The job's own run time lands in exactly the buckets at or above it.
    seconds = seconds_between(body["started_at"].replace("Z", "+00:00"), body["finished_at"].replace("Z", "+00:00"))
    for bound in (*GENERATION_BOUNDS, "+Inf"):
        delta = get(after, "cogvideo_job_generation_seconds_bucket", model="tiny-random", le=bound) - get(
            before, "cogvideo_job_generation_seconds_bucket", model="tiny-random", le=bound
        )
        expected = 1 if bound == "+Inf" or seconds <= float(bound) else 0
        assert delta == expected, (bound, seconds)
    sum_delta = get(after, "cogvideo_job_generation_seconds_sum", model="tiny-random") - get(
        before, "cogvideo_job_generation_seconds_sum", model="tiny-random"
    )
    assert sum_delta == pytest.approx(seconds, abs=0.01)
    assert (
        get(after, "cogvideo_job_queue_wait_seconds_count", model="tiny-random")
        - get(before, "cogvideo_job_queue_wait_seconds_count", model="tiny-random")
        == 1
    )


def test_a_failed_job_moves_the_failure_counters(ops, ops_client):
    media = ops.data_dir / "media"
    moved = media / "videos-kept-aside"
    if (media / "videos").exists():
        (media / "videos").rename(moved)
    (media / "videos").write_text("a file where the videos folder should be: storage fails")
    before = scrape(ops)
    try:
        body = run_job(ops, ops_client)
    finally:
        (media / "videos").unlink()
        if moved.exists():
            moved.rename(media / "videos")
    assert body["status"] == "failed" and body["error_code"] == "storage_failed"
    ops.submitted["failed"].append(body["task_id"])
    after = scrape(ops)
    failed = {"status": "failed", "model": "tiny-random", "template": ""}
    assert (
        get(after, "cogvideo_jobs_finished_total", **failed) - get(before, "cogvideo_jobs_finished_total", **failed)
        == 1
    )
    assert (
        get(after, "cogvideo_job_failures_total", error_code="storage_failed")
        - get(before, "cogvideo_job_failures_total", error_code="storage_failed")
        == 1
    )
    # A failed job is not a generation time: the histogram count stays.
    assert get(after, "cogvideo_job_generation_seconds_count", model="tiny-random") == get(
        before, "cogvideo_job_generation_seconds_count", model="tiny-random"
    )
    again = run_job(ops, ops_client)
    assert again["status"] == "completed"  # the worker goes on
    ops.submitted["completed"].append(again["task_id"])


class _Stats(HTMLParser):
    def __init__(self):
        super().__init__()
        self.card, self.stats = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("id") or "").startswith("summary-"):
            self.card = attrs["id"]
        if "data-stat" in attrs:
            self.stats[(self.card, attrs["data-stat"])] = attrs["data-value"]


def test_prometheus_dashboard_and_database_agree(ops, ops_client):
    """An operator points Prometheus at the service and opens the dashboard: both show the
    success rate and timings of the jobs in the database."""
    completed, failed = len(ops.submitted["completed"]), len(ops.submitted["failed"])
    assert (completed, failed) == (2, 1)
    durations = sorted(
        seconds_between(b["started_at"].replace("Z", "+00:00"), b["finished_at"].replace("Z", "+00:00"))
        for b in (ops_client.get(f"/api/status/{task}").json() for task in ops.submitted["completed"])
    )
    samples = scrape(ops)
    assert get(samples, "cogvideo_jobs_success_ratio", window="24h") == round(2 / 3, 4)
    mean = get(samples, "cogvideo_jobs_window_generation_seconds", window="24h", stat="mean")
    assert mean == pytest.approx(sum(durations) / 2, abs=0.002)
    assert get(samples, "cogvideo_jobs_window_generation_seconds", window="24h", stat="max") == pytest.approx(
        durations[-1], abs=0.002
    )

    ops.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        "u, _ = get_user_model().objects.get_or_create(username='ops-admin'); "
        f"u.is_staff = u.is_superuser = True; u.set_password('{ADMIN_PASSWORD}'); u.save()",
    )  # fmt: skip
    with httpx.Client(base_url=ops.url, timeout=30) as browser:
        login = browser.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        browser.post(
            "/admin/login/?next=/admin/",
            data={"username": "ops-admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{ops.url}/admin/login/"},
        )
        page = browser.get("/admin/monitoring/operationsdashboard/")
    assert page.status_code == 200 and "Operations dashboard" in page.text
    parser = _Stats()
    parser.feed(page.text)
    assert float(parser.stats[("summary-24h", "success_rate")]) == get(
        samples, "cogvideo_jobs_success_ratio", window="24h"
    )
    for stat in ("mean", "p50", "p95"):
        assert float(parser.stats[("summary-24h", f"{stat}_seconds")]) == get(
            samples, "cogvideo_jobs_window_generation_seconds", window="24h", stat=stat
        )
    status = ops_client.get("/api/system/status").json()["jobs_24h"]
    assert status["success_rate"] == round(2 / 3, 4) and status["mean_seconds"] == mean


def test_http_requests_of_all_gunicorn_workers_are_counted(ops):
    key = ("cogvideo_http_requests_total", (("endpoint", "api-health"), ("method", "GET"), ("status", "200")))
    before = scrape(ops).get(key, 0)

    def hit(_):
        # A fresh connection each time, many at once, so both gunicorn workers answer some.
        return httpx.get(f"{ops.url}/api/health", timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert set(pool.map(hit, range(60))) == {200}
    assert scrape(ops).get(key, 0) - before == 60
    pids = {path.stem.split("_")[-1] for path in (ops.data_dir / "metrics").glob("counter_*.db")}
    assert len(pids) >= 2, pids  # files of both web processes were summed


def test_worker_reports_itself(ops):
    samples = scrape(ops)
    assert get(samples, "cogvideo_workers_alive") == 1
    loaded = [labels for (name, labels), v in samples.items() if name == "cogvideo_worker_model_loaded" and v == 1]
    assert len(loaded) == 1 and ("model", "tiny-random") in loaded[0]
    load = [v for (name, _labels), v in samples.items() if name == "cogvideo_worker_model_load_seconds"]
    assert len(load) == 1 and load[0] > 0


def test_json_logs_have_one_line_per_job_state_change_and_request(ops):
    lines = []
    for name in ("web", "cluster"):
        for raw in (ops.logs / f"{name}.log").read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))  # every JSON-looking line is valid JSON
    job_id = ops.submitted["completed"][0]
    events = [line["event"] for line in lines if line.get("job_id") == job_id]
    assert events == ["job.created", "job.started", "job.completed"]
    done = next(line for line in lines if line.get("job_id") == job_id and line["event"] == "job.completed")
    assert done["model"] == "tiny-random" and done["seconds"] > 0 and done["user_id"]
    failed = next(line for line in lines if line.get("event") == "job.failed")
    assert failed["error_kind"] == "storage_failed" and failed["job_id"] == ops.submitted["failed"][0]
    posts = [line for line in lines if line.get("event") == "http.request" and line["path"] == "/api/generate"]
    assert len(posts) == 3 and all(line["status"] == 200 and line["ms"] > 0 for line in posts)
    assert all(line["method"] == "POST" and line["user_id"] for line in posts)


def test_readiness_follows_the_workers(ops, ops_client):
    def wait_for_ready(expected: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            response = httpx.get(f"{ops.url}/api/health/ready", timeout=10)
            if response.status_code == expected or time.monotonic() > deadline:
                return {**response.json(), "code": response.status_code}
            time.sleep(0.5)

    assert wait_for_ready(200, 30)["code"] == 200
    ops.stop_cluster()
    down = wait_for_ready(503, 30)  # heartbeats go stale after 6 s in the live services
    assert down["code"] == 503 and down["checks"]["workers"]["ok"] is False
    assert down["checks"]["database"]["ok"] and down["checks"]["broker"]["ok"]
    ops.start_cluster()
    up = wait_for_ready(200, 60)
    assert up["code"] == 200 and up["checks"]["workers"]["alive"] == 1
    assert run_job(ops, ops_client)["status"] == "completed"
