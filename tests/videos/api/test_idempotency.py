"""Idempotency-Key on generate and cancel: stored first answers, conflicts, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.live import tiny_job
from tests.videos.factories import make_job
from videos import services
from videos.job_specs import parse_generate_request
from videos.models import IdempotencyRecord, VideoJob


def test_retry_replays_the_first_answer_not_the_current_state(owner_api, owner):
    first = owner_api.post("/api/generate", tiny_job(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    job = VideoJob.objects.get()
    VideoJob.objects.filter(pk=job.pk).update(status="processing", progress=40)
    again = owner_api.post("/api/generate", tiny_job(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Idempotency-Key"] == "abc"
    assert VideoJob.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_same_key_different_body_is_409_and_creates_nothing(owner_api):
    owner_api.post("/api/generate", tiny_job(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    other = owner_api.post("/api/generate", tiny_job(seed=5), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert VideoJob.objects.count() == 1


def test_overlong_key_is_400(owner_api):
    response = owner_api.post("/api/generate", tiny_job(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]["fields"]
    assert VideoJob.objects.count() == 0


def test_cancel_with_a_key_replays_instead_of_409(owner_api, owner):
    job = make_job(owner)
    first = owner_api.post(f"/api/cancel/{job.id}", HTTP_IDEMPOTENCY_KEY="c1")
    again = owner_api.post(f"/api/cancel/{job.id}", HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == again.status_code == 200 and again.json()["status"] == "canceled"
    assert owner_api.post(f"/api/cancel/{job.id}").status_code == 409


@pytest.mark.live
def test_concurrent_requests_with_one_key_create_one_job(live, live_tokens):
    results: list = []

    def send() -> None:
        with live.client(live_tokens["owner"]) as client:
            response = client.post("/api/generate", json=tiny_job(prompt="race"), headers={"Idempotency-Key": "race-1"})
            results.append((response.status_code, response.json().get("task_id")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 8
    assert len({task_id for _, task_id in results}) == 1
    with live.client(live_tokens["owner"]) as client:
        listed = client.get("/api/tasks", params={"limit": 100}).json()["results"]
    assert sum(1 for job in listed if job["prompt"] == "race") == 1


def test_a_key_is_free_again_after_the_window(owner_api, settings):
    """One lifetime for every key: the stored answer and the job binding both end after
    COGVIDEO_IDEMPOTENCY_HOURS, so the same key then creates a new job."""
    first = owner_api.post("/api/generate", tiny_job(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    past = timezone.now() - timedelta(hours=settings.COGVIDEO_IDEMPOTENCY_HOURS, minutes=1)
    VideoJob.objects.update(created_at=past)
    IdempotencyRecord.objects.update(created_at=past)
    later = owner_api.post("/api/generate", tiny_job(seed=9), format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert later.status_code == 200 and later.json()["task_id"] != first.json()["task_id"]
    assert VideoJob.objects.get(pk=later.json()["task_id"]).idempotency_key == "old"
    assert VideoJob.objects.get(pk=first.json()["task_id"]).idempotency_key == ""


def test_conflicts_say_the_same_thing_wherever_they_are_found(owner_api, owner):
    """The stored-answer check and the job-binding check (batch, clients) give one message."""
    owner_api.post("/api/generate", tiny_job(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    api_conflict = owner_api.post("/api/generate", tiny_job(seed=5), format="json", HTTP_IDEMPOTENCY_KEY="same")
    with pytest.raises(services.IdempotencyConflict) as service_conflict:
        services.create_job(owner, parse_generate_request(tiny_job(seed=6)), idempotency_key="same", fingerprint="x")
    assert api_conflict.json()["error"]["message"] == service_conflict.value.message
