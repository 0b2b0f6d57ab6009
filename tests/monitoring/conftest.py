"""Fixtures for the operators' view: a set of jobs with known outcomes and durations, and the
ordering hook that runs the log scan after every other test of the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.videos.factories import make_job
from videos.models import JobStatus, PromptTemplate, VideoJob

# Secrets that tests of this folder create outside any database (the metrics token of the
# monitoring live service); the log scan looks for them too.
CREATED_SECRETS: list[str] = []


def pytest_collection_modifyitems(session, config, items):
    """The secret scan reads the logs every live service wrote during the session, so it
    runs last, after the tests of every other folder."""
    last = [item for item in items if item.get_closest_marker("after_all_live_tests")]
    if last:
        items[:] = [item for item in items if item not in last] + last


def pytest_configure(config):
    config.addinivalue_line("markers", "after_all_live_tests: run at the very end of the session")


@dataclass
class KnownJobs:
    """What the fixture created, and the numbers every view must show for it."""

    jobs: dict[str, VideoJob]
    now: object


def _job(owner, name: str, store: dict, *, status, template=None, age_hours: float, wait=None, run=None, error=""):
    """A job that finished `age_hours` ago after waiting `wait` s and running `run` s."""
    job = make_job(owner, **({"template": template.slug} if template else {}))
    finished = timezone.now() - timedelta(hours=age_hours)
    started = finished - timedelta(seconds=run) if run is not None else None
    created = (started or finished) - timedelta(seconds=wait or 0)
    fields = {"status": status, "created_at": created, "started_at": started, "finished_at": finished}
    if status == JobStatus.FAILED:
        fields.update(error_code=error, error=f"{error}: something went wrong in job {name}")
    VideoJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    store[name] = job
    return job


@pytest.fixture
def known_jobs(owner, stranger) -> KnownJobs:
    """Finished in the last 24 h: 4 completed (100, 200, 300, 400 s), 3 failed, 1 canceled.
    Finished 3 days ago: 1 completed (1000 s), 1 failed. Finished 10 days ago: 1 completed
    (5000 s). Still open: 1 queued for 2 minutes, 1 processing.

    24 h: success 4/7, mean 250, p50 250, p95 385.   7 d: success 5/9, mean 400, p50 300, p95 880.
    """
    sunset = PromptTemplate.objects.create(slug="sunset", name="Sunset", text="A sunset over the sea")
    city = PromptTemplate.objects.create(slug="city", name="City at night", text="A city at night in the rain")
    PromptTemplate.objects.create(slug="unused", name="Never used", text="Nothing")
    jobs: dict[str, VideoJob] = {}
    done, failed = JobStatus.COMPLETED, JobStatus.FAILED
    _job(owner, "a100", jobs, status=done, template=sunset, age_hours=1, wait=10, run=100)
    _job(owner, "a200", jobs, status=done, template=sunset, age_hours=2, wait=20, run=200)
    _job(stranger, "b300", jobs, status=done, template=city, age_hours=3, wait=30, run=300)
    _job(owner, "n400", jobs, status=done, age_hours=4, wait=40, run=400)
    _job(owner, "b_oom", jobs, status=failed, template=city, age_hours=5, wait=5, run=50, error="out_of_memory")
    _job(stranger, "b_gen", jobs, status=failed, template=city, age_hours=6, wait=5, run=5, error="generation_failed")
    _job(owner, "a_oom", jobs, status=failed, template=sunset, age_hours=7, wait=5, run=60, error="out_of_memory")
    _job(owner, "n_cancel", jobs, status=JobStatus.CANCELED, age_hours=8, wait=30)
    _job(owner, "a1000_3d", jobs, status=done, template=sunset, age_hours=72, wait=60, run=1000)
    _job(owner, "a_lost_3d", jobs, status=failed, template=sunset, age_hours=73, wait=5, run=10, error="worker_lost")
    _job(owner, "n5000_10d", jobs, status=done, age_hours=240, wait=100, run=5000)
    queued = make_job(owner)
    VideoJob.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(seconds=120))
    jobs["queued"] = queued
    running = make_job(stranger)
    VideoJob.objects.filter(pk=running.pk).update(status=JobStatus.PROCESSING, started_at=timezone.now())
    jobs["running"] = running
    return KnownJobs(jobs=jobs, now=timezone.now())
