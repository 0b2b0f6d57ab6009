"""The worker side in-process: claim, run the real tiny pipeline, store, record."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage

from tests.videos.factories import make_job
from videos import media_files, services, worker
from videos.generation import engine
from videos.models import JobStatus, Video


@pytest.fixture
def fresh_engine():
    """Run with no loaded pipeline, and put the shared one back afterwards."""
    saved = engine._engine
    engine._engine = None
    yield
    engine._engine = saved


def test_job_runs_to_completion_with_files_and_checksum(owner):
    job = make_job(owner, prompt="a lighthouse at dusk", seed=7)
    assert worker.run_next_job() == str(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert (job.progress, job.step, job.stage) == (100, 2, "completed")
    assert job.attempts == 1 and job.worker == worker.worker_name()
    video = Video.objects.get(job=job)
    assert default_storage.exists(video.file.name) and default_storage.exists(video.poster.name)
    stored = b"".join(media_files.read_all(default_storage, video.file.name))
    assert hashlib.sha256(stored).hexdigest() == video.sha256 and len(stored) == video.size_bytes
    assert (video.width, video.height, video.frames, video.fps) == (64, 64, 9, 8)
    assert job.params["device"] == "cpu" and job.params["memory_mode"] == "none"


def test_duplicate_delivery_runs_the_pipeline_once(owner):
    job = make_job(owner)
    before = engine.pipeline_runs
    assert worker.run_next_job(str(job.id)) == str(job.id)
    assert worker.run_next_job(str(job.id)) is None  # the same message delivered again
    assert engine.pipeline_runs == before + 1
    assert Video.objects.filter(job=job).count() == 1


def test_higher_priority_runs_first(owner, stranger):
    batch = [make_job(owner, priority=-1) for _ in range(3)]
    interactive = make_job(stranger)
    assert worker.run_next_job() == str(interactive.id)
    assert worker.run_next_job() == str(batch[0].id)


def test_same_seed_same_video(owner):
    first = make_job(owner, seed=123)
    second = make_job(owner, seed=123)
    worker.run_next_job()
    worker.run_next_job()
    assert Video.objects.get(job=first).sha256 == Video.objects.get(job=second).sha256


def test_cancel_after_claim_discards_the_result(owner):
    job = make_job(owner)
    claimed = services.claim_next_job(worker.worker_name())
    services.cancel_job(job)
    worker.execute_job(claimed)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert not Video.objects.filter(job=job).exists()


def test_missing_local_model_fails_with_instructions(owner, settings, fresh_engine):
    settings.COGVIDEO_MODEL = "/models/does-not-exist/CogVideoX-2b"
    job = make_job(owner)
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "model_unavailable"
    assert "/models/does-not-exist/CogVideoX-2b" in job.error
    assert "huggingface-cli download" in job.error and "COGVIDEO_MODEL=" in job.error
    assert "tiny-random" in job.error


def test_unreachable_hub_model_fails_with_instructions(owner, settings, monkeypatch, fresh_engine):
    settings.COGVIDEO_MODEL = "THUDM/CogVideoX-2b"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    job = make_job(owner, resolution="720x480")
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "model_unavailable"
    assert "THUDM/CogVideoX-2b" in job.error and "huggingface-cli download THUDM/CogVideoX-2b" in job.error


def test_model_is_loaded_once_per_process(owner):
    engine.get_engine()
    loads = engine.load_count
    for _ in range(3):
        make_job(owner)
        worker.run_next_job()
    assert engine.load_count == loads


def test_long_prompt_gets_a_truncation_warning(owner):
    job = make_job(owner, prompt=" ".join(["word"] * 300))
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert any("226" in warning for warning in job.warnings)


def test_unwritable_media_fails_cleanly_and_leaves_no_files(owner, settings, tmp_path, local_media):
    media = local_media
    media.mkdir()
    (media / "videos").write_text("a file where the videos folder should be")
    settings.MEDIA_ROOT = media
    job = make_job(owner)
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "storage_failed"
    assert "storage" in job.error
    assert sorted(p.name for p in media.rglob("*")) == ["videos"]
    # The worker keeps serving.
    settings.MEDIA_ROOT = tmp_path / "media2"
    ok = make_job(owner)
    worker.run_next_job()
    ok.refresh_from_db()
    assert ok.status == JobStatus.COMPLETED


# --- Fair share (videos/fair_share.py) --------------------------------------------------------


def test_one_users_flood_does_not_starve_another(owner, stranger, django_assert_max_num_queries):
    """alice runs one job and has 20 queued; bob's one job is the next claimed, and his
    status said so before the claim."""
    from videos.selectors import queue_position

    running = make_job(owner)
    assert services.claim_next_job("worker-a").pk == running.pk
    flood = [make_job(owner) for _ in range(20)]
    bobs = make_job(stranger)
    assert queue_position(bobs) == 1 and queue_position(flood[0]) == 2 and queue_position(flood[1]) == 3
    with django_assert_max_num_queries(8):
        claimed = services.claim_next_job("worker-b")
    assert claimed.pk == bobs.pk
    # Then alice and bob take turns while both have work; alice's own jobs stay in order.
    later = make_job(stranger)
    assert [services.claim_next_job("w").pk for _ in range(3)] == [flood[0].pk, later.pk, flood[1].pk]


def test_running_cap_per_user_passes_over_an_owner_at_the_cap(owner, stranger, settings):
    settings.COGVIDEO_MAX_RUNNING_PER_USER = 1
    first, second = make_job(owner), make_job(owner)
    running = services.claim_next_job("worker-a")
    assert running.pk == first.pk
    assert services.claim_next_job("worker-b") is None  # alice is at her cap; bob has nothing
    bobs = make_job(stranger)
    assert services.claim_next_job("worker-b").pk == bobs.pk
    services.fail_job(running, "test", "done")  # alice's first job ends: her next may run
    assert services.claim_next_job("worker-a").pk == second.pk


def test_a_full_disk_fails_the_running_job_as_storage_full(owner, settings, tmp_path, local_media):
    """The media folder fills up while a job runs: the job fails with storage_full (not left
    in processing) and no partial file stays (a worker keeps serving after a storage failure:
    test_unwritable_media_fails_cleanly_and_leaves_no_files)."""
    from tests.support.disk import fill, mount_tmpfs, unmount

    media = tmp_path / "small-disk"
    assert mount_tmpfs(media, 2), "mounting a tmpfs needs root (the CI runs the suite as root)"
    try:
        job = make_job(owner)  # accepted while there is room
        settings.MEDIA_ROOT = media
        settings.COGVIDEO_MIN_FREE_DISK_MB = 0
        filler = fill(media)
        worker.run_next_job()
        job.refresh_from_db()
        assert (job.status, job.error_code) == (JobStatus.FAILED, "storage_full"), job.error
        assert "storage is full" in job.error
        assert [p.name for p in media.rglob("*") if p.is_file()] == [filler.name]
    finally:
        unmount(media)


# --- Media in an object store (the scale-out pass's SeaweedFS) ---------------------------------


def test_an_upload_refused_half_way_fails_the_job_and_leaves_no_object(owner, settings, object_store_media):
    """The store takes the MP4 and refuses the preview (this identity may write MP4s only):
    the job fails as storage_failed, saying what failed, and the MP4 already stored is
    deleted. No credential shows in the error."""
    from tests.support.object_store import BUCKET, UPLOAD_FAILS_PREFIX

    store, _prefix = object_store_media
    settings.STORAGES = {**settings.STORAGES, "default": store.storage_setting(UPLOAD_FAILS_PREFIX, limited=True)}
    limited = store.client(access_key=store.limited_access_key, secret_key=store.limited_secret_key)
    probe = f"{UPLOAD_FAILS_PREFIX}/videos/probe.mp4"
    limited.put_object(Bucket=BUCKET, Key=probe, Body=b"an MP4 may be written")  # so the MP4 upload succeeds
    limited.delete_object(Bucket=BUCKET, Key=probe)
    job = make_job(owner)
    worker.run_next_job()
    job.refresh_from_db()
    assert (job.status, job.error_code) == (JobStatus.FAILED, "storage_failed")
    assert "Could not store the video" in job.error and "AccessDenied" in job.error and ".preview.webp" in job.error
    for secret in (store.limited_secret_key, store.secret_key):
        assert secret not in job.error
    assert store.objects(UPLOAD_FAILS_PREFIX) == {}
    assert not Video.objects.filter(job=job).exists()


def test_stored_objects_are_the_files_written(owner, object_store_media):
    store, prefix = object_store_media
    job = make_job(owner, formats=["mp4", "webm"])
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    video = Video.objects.get(job=job)
    digests = store.sha256s(prefix)
    names = {video.file.name, video.poster.name, *job.params["files"].values()}
    assert set(digests) == names and len(names) == 4  # MP4, poster, preview, WebM: nothing else
    assert digests[video.file.name] == video.sha256
    assert job.params["timings"]["store_seconds"] > 0
