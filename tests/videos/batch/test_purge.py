"""The purge service: old finished jobs, their videos and files go; nothing else does, and
no row is left pointing at a missing file nor a file left that nothing points at."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.videos.factories import make_job
from videos import services, worker
from videos.models import JobStatus, Video, VideoJob
from videos.services import purge

OLD = timezone.now() - timedelta(days=40)


@pytest.fixture(autouse=True)
def own_media_folder(local_media, tmp_path):
    """Purge sweeps the whole video folder for unreferenced files: give it a folder of its
    own, so it can never touch files that belong to another test or a local service (the
    object-store test below gives it a prefix of its own instead)."""
    assert default_storage.path("videos").startswith(str(tmp_path))


def completed_job(owner, prompt: str) -> VideoJob:
    job = make_job(owner, prompt=prompt)
    assert worker.run_next_job() == str(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    return job


def completed_copy(owner, source: VideoJob, prompt: str) -> VideoJob:
    """A completed job whose video files are copies of `source`'s: purge reads rows and files,
    not pixels, so one real generation is enough for the test (and keeps it quick)."""
    job = make_job(owner, prompt=prompt)
    original = Video.objects.get(job=source)
    names = []
    for name in (original.file.name, original.poster.name, source.params["files"]["preview"]):
        with default_storage.open(name, "rb") as handle:
            names.append(default_storage.save(name.replace(str(original.pk), str(job.pk)), handle))
    params = {**job.params, "files": {"preview": names[2]}}  # the preview is named in the job's params
    VideoJob.objects.filter(pk=job.pk).update(
        status=JobStatus.COMPLETED, finished_at=timezone.now(), progress=100, params=params
    )
    Video.objects.create(
        job=job, owner=owner, file=names[0], poster=names[1], width=64, height=64, frames=9, fps=8,
        size_bytes=original.size_bytes, sha256=original.sha256,
    )  # fmt: skip
    job.refresh_from_db()
    return job


def age(job: VideoJob) -> None:
    VideoJob.objects.filter(pk=job.pk).update(created_at=OLD, finished_at=OLD if job.finished_at else None)


def files_of(job: VideoJob) -> list[Path]:
    video = Video.objects.get(job=job)
    names = [video.file.name, video.poster.name, video.job.params["files"]["preview"]]  # MP4, poster, WebP preview
    return [Path(default_storage.path(name)) for name in names]


def stray_file(name: str, *, old: bool) -> Path:
    path = Path(settings.MEDIA_ROOT) / "videos" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not referenced by any video")
    if old:
        stamp = time.time() - 40 * 86400
        os.utime(path, (stamp, stamp))
    return path


def test_purge_deletes_old_finished_jobs_videos_and_files_only(owner, stranger):
    old_done = completed_job(owner, "an old video")
    recent_done = completed_copy(owner, old_done, "a recent video")
    reused_source = completed_copy(stranger, old_done, "an old video a newer job reuses")
    reusing = make_job(stranger, prompt="the same request later")
    VideoJob.objects.filter(pk=reusing.pk).update(
        status=JobStatus.COMPLETED, finished_at=timezone.now(), reused_from=Video.objects.get(job=reused_source)
    )
    failed = make_job(owner, prompt="an old failure")
    claimed = services.claim_next_job("test-worker")
    assert claimed.pk == failed.pk and services.fail_job(claimed, "generation_failed", "boom")
    still_queued = make_job(owner, prompt="queued for ages")
    for job in (old_done, reused_source, failed, still_queued):
        job.refresh_from_db()
        age(job)
    old_files, recent_files, reused_files = files_of(old_done), files_of(recent_done), files_of(reused_source)
    old_stray, fresh_stray = stray_file("2001/01/crashed.mp4", old=True), stray_file("2001/02/writing.mp4", old=False)
    # An old file of a kept video (its preview, named only in its job's params) is no orphan.
    os.utime(reused_files[2], (OLD.timestamp(), OLD.timestamp()))

    old_mp4_size = old_files[0].stat().st_size
    dry = purge(timedelta(days=30), dry_run=True)
    assert (dry.jobs, dry.videos, dry.files, dry.kept_reused) == (2, 1, 3, 1)
    assert dry.orphan_files >= 1
    assert all(p.exists() for p in old_files) and old_stray.exists() and VideoJob.objects.count() == 6

    result = purge(timedelta(days=30))
    assert (result.jobs, result.videos, result.files, result.kept_reused, result.missing_files) == (2, 1, 3, 1, [])
    assert result.bytes == old_mp4_size
    remaining = set(VideoJob.objects.values_list("pk", flat=True))
    assert remaining == {recent_done.pk, reused_source.pk, reusing.pk, still_queued.pk}
    assert not any(p.exists() for p in old_files)
    assert all(p.exists() for p in recent_files + reused_files)
    reusing.refresh_from_db()
    assert reusing.result_video.pk == Video.objects.get(job=reused_source).pk
    # Consistency both ways: every video row has its files, the old orphan is gone, the fresh
    # one (a worker may be about to record it) stays, and the emptied folder went too.
    for video in Video.objects.all():
        assert default_storage.exists(video.file.name) and default_storage.exists(video.poster.name)
        assert default_storage.exists(video.job.params["files"]["preview"])
    assert not old_stray.exists() and not old_stray.parent.exists()
    assert fresh_stray.exists()
    fresh_stray.unlink()


def test_purge_by_status_and_owner(owner, stranger):
    mine, theirs = services.cancel_job(make_job(owner)), services.cancel_job(make_job(stranger))
    age(mine)
    age(theirs)
    assert purge(timedelta(days=30), statuses=["failed"]).jobs == 0
    result = purge(timedelta(days=30), statuses=["canceled"], owner=stranger)
    assert (result.jobs, result.videos, result.files) == (1, 0, 0)
    assert list(VideoJob.objects.values_list("pk", flat=True)) == [mine.pk]


def test_purge_deletes_the_objects_from_an_object_store(owner, settings, object_store_media):
    """The same purge on media in an object store (scale-out pass): the old job's objects are
    deleted, the recent job's stay, and an object nothing references goes once it is older
    than a job may run."""
    store, prefix = object_store_media
    old_done = completed_job(owner, "an old video")
    recent_done = completed_copy(owner, old_done, "a recent video")
    age(old_done)
    old_names = set(names_of(old_done))
    recent_names = set(names_of(recent_done))
    stray = default_storage.save("videos/2001/01/crashed.mp4", ContentFile(b"not referenced by any video"))
    assert set(store.objects(prefix)) == old_names | recent_names | {stray}

    result = purge(timedelta(days=30))
    assert (result.jobs, result.videos, result.files, result.missing_files) == (1, 1, 3, [])
    assert set(store.objects(prefix)) == recent_names | {stray}  # the stray object is fresh: kept
    settings.COGVIDEO_JOB_TIMEOUT = 0
    assert purge(timedelta(0), statuses=[]).orphan_files == 1
    assert set(store.objects(prefix)) == recent_names


def names_of(job: VideoJob) -> list[str]:
    video = Video.objects.get(job=job)
    return [video.file.name, video.poster.name, video.job.params["files"]["preview"]]
