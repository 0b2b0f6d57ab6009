"""The staff operations dashboard: numbers against the known jobs and against /metrics."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.monitoring.test_metrics import scrape, value

URL = "/admin/monitoring/operationsdashboard/"


class _Collector(HTMLParser):
    """Collects the attributes of every element that carries data-* values."""

    def __init__(self):
        super().__init__()
        self.card = None
        self.stats: dict[tuple[str, str], str] = {}
        self.rows: list[dict[str, str]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("id") or "").startswith(("summary-", "queue-now")):
            self.card = attrs["id"]
        if "data-stat" in attrs:
            self.stats[(self.card, attrs["data-stat"])] = attrs["data-value"]
        if tag == "tr" and any(key.startswith("data-") for key in attrs):
            self.rows.append(attrs)
        if tag == "a" and "failed-job" in (attrs.get("class") or ""):
            self.links.append(attrs["href"])


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_staff_see_the_numbers_of_the_known_jobs(staff_client, known_jobs):
    response = staff_client.get(URL)
    assert response.status_code == 200
    page = parse(response.content.decode())
    day = {name: page.stats[("summary-24h", name)] for name in ("success_rate", "completed", "failed", "canceled")}
    assert day == {"success_rate": str(round(4 / 7, 4)), "completed": "4", "failed": "3", "canceled": "1"}
    assert page.stats[("summary-24h", "mean_seconds")] == "250.0"
    assert page.stats[("summary-24h", "p50_seconds")] == "250.0"
    assert page.stats[("summary-24h", "p95_seconds")] == "385.0"
    assert page.stats[("summary-7d", "success_rate")] == str(round(5 / 9, 4))
    assert page.stats[("summary-7d", "p95_seconds")] == "880.0"
    assert page.stats[("queue-now", "queued")] == "1" and page.stats[("queue-now", "processing")] == "1"
    assert "57.1%" in response.content.decode()  # what people read: 4/7


def test_failures_link_to_their_jobs(staff, staff_client, known_jobs):
    page = parse(staff_client.get(URL).content.decode())
    failures = {row["data-error-code"]: row["data-count"] for row in page.rows if "data-error-code" in row}
    assert failures == {"out_of_memory": "2", "generation_failed": "1"}
    jobs = known_jobs.jobs
    expected = {f"/admin/videos/videojob/{jobs[name].pk}/change/" for name in ("b_oom", "a_oom", "b_gen")}
    assert set(page.links) == expected
    staff.is_superuser = True  # the job pages need the admin's view permission on jobs
    staff.save()
    assert staff_client.get(next(iter(expected))).status_code == 200


def test_templates_and_slowest_jobs(staff_client, known_jobs):
    page = parse(staff_client.get(URL).content.decode())
    templates = {row["data-template"]: row for row in page.rows if "data-template" in row}
    assert (templates["city"]["data-failed"], templates["city"]["data-failure-rate"]) == ("2", "0.6667")
    assert (templates["sunset"]["data-finished"], templates["sunset"]["data-failure-rate"]) == ("3", "0.3333")
    assert templates["unused"]["data-finished"] == "0"
    slowest = [row["data-seconds"] for row in page.rows if "data-seconds" in row]
    assert slowest == ["400.0", "300.0", "200.0", "100.0"]


def test_seven_day_window(staff_client, known_jobs):
    html = staff_client.get(URL + "?window=7d").content.decode()
    page = parse(html)
    failures = {row["data-error-code"]: row["data-count"] for row in page.rows if "data-error-code" in row}
    assert failures == {"out_of_memory": "2", "generation_failed": "1", "worker_lost": "1"}
    assert [row["data-seconds"] for row in page.rows if "data-seconds" in row][0] == "1000.0"
    assert 'data-window="7d"' in html


def test_an_unknown_window_says_so(staff_client, known_jobs):
    html = staff_client.get(URL + "?window=<b>1y").content.decode()
    assert "Unknown window" in html and "<b>1y" not in html and 'data-window="24h"' in html


def test_charts_are_inline_svg_without_external_scripts(staff_client, known_jobs):
    html = staff_client.get(URL).content.decode()
    charts = re.findall(r"<svg class=\"chart\".*?</svg>", html, flags=re.S)
    assert len(charts) == 2
    bars = re.findall(r"<rect [^>]*><title>([^<]*)</title>", charts[0])
    assert sum(int(m) for title in bars for m in re.findall(r"(\d+) completed", title)) == 4
    assert sum(int(m) for title in bars for m in re.findall(r"(\d+) failed", title)) == 3
    assert "cdn" not in html.lower() and '<script src="http' not in html


def test_dashboard_and_prometheus_agree(staff_client, known_jobs):
    """The bar of the issue: Prometheus and the dashboard show the same success rate and
    timings as the jobs in the database."""
    page = parse(staff_client.get(URL).content.decode())
    samples = scrape()
    for window in ("24h", "7d"):
        assert float(page.stats[(f"summary-{window}", "success_rate")]) == value(
            samples, "cogvideo_jobs_success_ratio", window=window
        )
        for stat in ("mean", "p50", "p95"):
            assert float(page.stats[(f"summary-{window}", f"{stat}_seconds")]) == value(
                samples, "cogvideo_jobs_window_generation_seconds", window=window, stat=stat
            )


def test_linked_from_the_admin_index(staff_client, db):
    html = staff_client.get("/admin/").content.decode()
    assert f'href="{URL}"' in html and "Operations dashboard" in html


def test_not_for_non_staff(owner, db):
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client = Client()
    client.force_login(owner)
    response = client.get(URL)
    assert response.status_code in {302, 403} and b"success_rate" not in response.content
