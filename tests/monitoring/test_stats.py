"""monitoring/stats.py: the numbers every view shows, against jobs with known outcomes."""

from __future__ import annotations

import pytest

from monitoring import stats


def test_percentile_interpolates_between_ranks():
    assert stats.percentile([], 0.5) is None
    assert stats.percentile([7.0], 0.95) == 7.0
    assert stats.percentile([100.0, 200.0, 300.0, 400.0], 0.5) == 250.0
    assert stats.percentile([100.0, 200.0, 300.0, 400.0], 0.95) == pytest.approx(385.0)


def test_last_24_hours(known_jobs):
    day = stats.window_stats("24h")
    summary = day.summary()
    assert (summary["completed"], summary["failed"], summary["canceled"]) == (4, 3, 1)
    assert summary["created"] == 10  # 8 finished today + 1 queued + 1 processing
    assert summary["success_rate"] == round(4 / 7, 4)
    assert summary["generation_seconds"] == {"mean": 250.0, "p50": 250.0, "p95": 385.0, "max": 400.0}
    # Queue waits of the 7 jobs that started today: 5, 5, 5, 10, 20, 30, 40.
    assert summary["queue_wait_seconds"] == {"p50": 10.0, "p95": 37.0}


def test_last_7_days_includes_older_jobs_but_not_the_10_day_old_one(known_jobs):
    week = stats.window_stats("7d").summary()
    assert (week["completed"], week["failed"], week["canceled"]) == (5, 4, 1)
    assert week["success_rate"] == round(5 / 9, 4)
    assert week["generation_seconds"] == {"mean": 400.0, "p50": 300.0, "p95": 880.0, "max": 1000.0}


def test_failures_are_grouped_by_error_code_newest_job_first(known_jobs):
    jobs = known_jobs.jobs
    groups = {group.error_code: group for group in stats.window_stats("24h").failures}
    assert sorted(groups) == ["generation_failed", "out_of_memory"]
    assert groups["out_of_memory"].count == 2
    assert groups["out_of_memory"].job_ids == [str(jobs["b_oom"].id), str(jobs["a_oom"].id)]
    assert "job b_oom" in groups["out_of_memory"].last_message
    assert [group.error_code for group in stats.window_stats("7d").failures] == [
        "out_of_memory",
        "generation_failed",
        "worker_lost",
    ]


def test_slowest_completed_jobs_first(known_jobs):
    slowest = stats.window_stats("24h").slowest
    assert [row["id"] for row in slowest] == [str(known_jobs.jobs[n].id) for n in ("n400", "b300", "a200", "a100")]
    assert [row["seconds"] for row in slowest] == [400.0, 300.0, 200.0, 100.0]
    assert slowest[0]["template"] == stats.NO_TEMPLATE and slowest[1]["template"] == "city"


def test_per_template_usage_and_failure_rate(known_jobs):
    rows = {row.template: row for row in stats.window_stats("24h").templates}
    assert (rows["sunset"].completed, rows["sunset"].failed, rows["sunset"].failure_rate) == (2, 1, 0.3333)
    assert (rows["city"].completed, rows["city"].failed, rows["city"].failure_rate) == (1, 2, 0.6667)
    assert (rows[stats.NO_TEMPLATE].completed, rows[stats.NO_TEMPLATE].canceled) == (1, 1)
    assert rows["sunset"].p50_seconds == 150.0
    # An active template nobody used still shows, with no rate: a candidate to retire.
    assert rows["unused"].finished == 0 and rows["unused"].failure_rate is None


def test_jobs_per_hour_puts_each_job_in_its_hour(known_jobs):
    day = stats.window_stats("24h")
    assert len(day.per_hour) == 24
    assert sum(h["completed"] for h in day.per_hour) == 4
    assert sum(h["failed"] for h in day.per_hour) == 3
    assert sum(h["canceled"] for h in day.per_hour) == 1
    finished = known_jobs.jobs["a100"].finished_at
    bucket = next(h for h in day.per_hour if h["hour"] <= finished < h["hour"] + stats.timedelta(hours=1))
    assert bucket["completed"] >= 1
    assert len(stats.window_stats("7d").per_hour) == 168


def test_queue_stats(known_jobs):
    queue = stats.queue_stats()
    assert queue["queued"] == 1 and queue["processing"] == 1
    assert 119 <= queue["oldest_queued_age_seconds"] <= 180


def test_all_time_histograms_are_cumulative(known_jobs):
    (generation,) = stats.duration_histograms("generation")
    assert generation["model"] == "tiny-random"
    assert generation["count"] == 6 and generation["sum"] == pytest.approx(7000.0)
    buckets = dict(generation["buckets"])
    assert (buckets[60], buckets[120], buckets[300], buckets[600], buckets[1200], buckets[3600]) == (0, 1, 3, 4, 5, 5)


def test_empty_database_has_no_rates(db):
    summary = stats.window_stats("24h").summary()
    assert summary["success_rate"] is None and summary["generation_seconds"]["p95"] is None
    assert stats.duration_histograms("generation") == []


def test_unknown_window_is_an_error(db):
    with pytest.raises(ValueError, match="window must be one of 24h, 7d"):
        stats.window_stats("1y")
