"""Same-request reuse (videos/reuse.py): an explicit-seed request identical to a completed video
of the same owner completes at once with that video; anything else generates."""

from __future__ import annotations

from django.test import override_settings

from tests.videos.factories import TINY, make_job
from videos import worker
from videos.generation import engine
from videos.models import JobStatus, Video, VideoJob


def _completed(owner, **overrides) -> VideoJob:
    job = make_job(owner, **overrides)
    assert worker.run_next_job() == str(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    return job


def test_identical_explicit_seed_request_answers_with_the_existing_video(owner, owner_api):
    original = _completed(owner, seed=11)
    runs_before = engine.pipeline_runs
    response = owner_api.post("/api/generate", {**TINY, "seed": 11}, format="json")
    assert response.status_code == 200
    body = response.json()
    # Completed in the POST answer itself, with the earlier video's id and links.
    assert body["status"] == "completed" and body["progress"] == 100
    assert body["video_id"] == str(original.video.id)
    assert body["video_url"].endswith(f"/api/download/{original.video.id}")
    assert body["params"]["reused_video_id"] == str(original.video.id)
    assert body["task_id"] != str(original.id)
    job = VideoJob.objects.get(pk=body["task_id"])
    assert job.reused_from_id == original.video.id and job.result_video == original.video
    assert job.warnings and str(original.video.id) in job.warnings[0]
    # No GPU work and nothing left in the queue for a worker.
    assert engine.pipeline_runs == runs_before
    assert worker.run_next_job() is None
    assert Video.objects.count() == 1
    # The status endpoint and the download answer for the reusing job exactly as for the original.
    status = owner_api.get(f"/api/status/{job.id}").json()
    assert status["video_id"] == str(original.video.id) and status["video"]["sha256"] == original.video.sha256
    download = owner_api.get(f"/api/download/{status['video_id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content)[4:8] == b"ftyp"


def test_a_video_made_with_a_random_seed_is_reused_when_that_seed_is_asked_for(owner):
    original = _completed(owner)
    assert original.params["seed_given"] is False
    again = make_job(owner, seed=original.params["seed"])
    assert again.status == JobStatus.COMPLETED and again.reused_from_id == original.video.id


def test_requests_without_a_seed_always_generate(owner):
    _completed(owner, seed=5)
    first, second = make_job(owner), make_job(owner)
    for job in (first, second):
        assert job.status == JobStatus.QUEUED and job.reused_from is None
    assert first.params["seed_given"] is False and worker.run_next_job() == str(first.id)


def test_any_difference_in_the_request_generates(owner):
    _completed(owner, seed=21)
    changed = [
        make_job(owner, seed=22),
        make_job(owner, seed=21, prompt="a grey wolf running through snow"),
        make_job(owner, seed=21, negative_prompt="blurry"),
        make_job(owner, seed=21, num_inference_steps=3),
        make_job(owner, seed=21, guidance_scale=7.5),
        make_job(owner, seed=21, resolution="96x64"),
    ]
    assert all(job.status == JobStatus.QUEUED and job.reused_from is None for job in changed)
    assert len({job.reuse_key for job in changed}) == len(changed)


def test_other_speed_levers_or_model_revision_are_not_the_same_request(owner):
    _completed(owner, seed=31)
    with override_settings(COGVIDEO_CACHE_METHOD="pab"):
        assert make_job(owner, seed=31).status == JobStatus.QUEUED
    with override_settings(COGVIDEO_QUANTIZE="int8wo"):
        assert make_job(owner, seed=31).status == JobStatus.QUEUED
    with override_settings(COGVIDEO_MODEL_REVISION="abc123"):
        assert make_job(owner, seed=31).status == JobStatus.QUEUED
    assert make_job(owner, seed=31).status == JobStatus.COMPLETED


def test_unfinished_or_failed_originals_are_not_reused(owner):
    queued = make_job(owner, seed=41)
    assert make_job(owner, seed=41).status == JobStatus.QUEUED
    queued.status = JobStatus.FAILED
    queued.save()
    assert make_job(owner, seed=41).status == JobStatus.QUEUED


def test_another_users_identical_video_is_never_reused(owner, stranger, stranger_api):
    original = _completed(owner, seed=51)
    body = stranger_api.post("/api/generate", {**TINY, "seed": 51}, format="json").json()
    assert body["status"] == "queued" and body["video_id"] is None
    job = VideoJob.objects.get(pk=body["task_id"])
    assert job.reused_from is None and job.reuse_key == original.reuse_key
    # And the stranger still cannot reach the owner's video.
    assert stranger_api.get(f"/api/download/{original.video.id}").status_code == 404


def test_idempotent_retry_of_a_reused_request_returns_the_same_job(owner, owner_api):
    _completed(owner, seed=61)
    headers = {"HTTP_IDEMPOTENCY_KEY": "reuse-retry-1"}
    first = owner_api.post("/api/generate", {**TINY, "seed": 61}, format="json", **headers).json()
    again = owner_api.post("/api/generate", {**TINY, "seed": 61}, format="json", **headers).json()
    assert first["status"] == "completed" and again["task_id"] == first["task_id"]
    assert VideoJob.objects.filter(idempotency_key="reuse-retry-1").count() == 1


def test_deleting_the_original_leaves_the_reusing_job_without_a_video(owner, owner_api):
    original = _completed(owner, seed=71)
    reused = make_job(owner, seed=71)
    original.delete()  # cascades to its Video
    reused.refresh_from_db()
    assert reused.status == JobStatus.COMPLETED and reused.reused_from is None and reused.result_video is None
    assert owner_api.get(f"/api/status/{reused.id}").json()["video_id"] is None
