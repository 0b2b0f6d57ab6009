"""List actions: cancel selected, retry failed, regenerate with a new seed, download. Each
acts only on jobs the user may see and creates jobs through the API's validation."""

from __future__ import annotations

import io
import zipfile

from tests.videos.factories import make_job
from videos import services, worker
from videos.models import JobStatus, Video, VideoJob

LIST_URL = "/admin/videos/videojob/"


def run_action(client, action: str, jobs, follow: bool = False):
    return client.post(LIST_URL, {"action": action, "_selected_action": [str(job.pk) for job in jobs]}, follow=follow)


def failed_job(owner, **fields):
    job = make_job(owner, **fields)
    claimed = services.claim_next_job("test-worker")
    services.fail_job(claimed, "engine_error", "The engine broke.")
    job.refresh_from_db()
    return job


def test_cancel_selected_cancels_own_queued_jobs_only(editor, other_editor, editor_client):
    mine = [make_job(editor), make_job(editor)]
    theirs = make_job(other_editor)
    response = run_action(editor_client, "cancel_selected", [*mine, theirs], follow=True)
    assert "Canceled 2 job(s)." in response.content.decode()
    assert {job.status for job in VideoJob.objects.filter(owner=editor)} == {JobStatus.CANCELED}
    theirs.refresh_from_db()
    assert theirs.status == JobStatus.QUEUED


def test_cancel_selected_reports_finished_jobs(editor, editor_client):
    done = failed_job(editor)
    response = run_action(editor_client, "cancel_selected", [done], follow=True)
    assert "1 job(s) had already finished." in response.content.decode()
    done.refresh_from_db()
    assert done.status == JobStatus.FAILED


def test_retry_failed_queues_a_copy_with_the_same_parameters(editor, editor_client):
    failed = failed_job(editor, prompt="a lighthouse", seed=99, negative_prompt="blurry")
    queued = make_job(editor)
    response = run_action(editor_client, "retry_failed", [failed, queued], follow=True)
    html = response.content.decode()
    assert "Queued 1 new job(s)." in html and "Skipped 1 job(s) that did not fail." in html
    retry = VideoJob.objects.exclude(pk__in=[failed.pk, queued.pk]).get()
    assert retry.status == JobStatus.QUEUED and retry.source == "admin" and retry.owner == editor
    assert (retry.prompt, retry.negative_prompt) == ("a lighthouse", "blurry")
    assert {k: v for k, v in retry.params.items()} == failed.params


def test_regenerate_with_new_seed_keeps_everything_but_the_seed(editor, editor_client):
    job = make_job(editor, seed=5, resolution="128x64")
    run_action(editor_client, "regenerate_with_new_seed", [job])
    new_job = VideoJob.objects.exclude(pk=job.pk).get()
    assert new_job.params["resolution"] == "128x64" and new_job.params["seed_given"] is False
    assert new_job.params["num_inference_steps"] == job.params["num_inference_steps"]


def test_rerun_errors_are_shown_and_create_nothing(editor, editor_client, settings):
    failed = failed_job(editor)
    settings.COGVIDEO_MAX_QUEUED_PER_USER = 0
    response = run_action(editor_client, "retry_failed", [failed], follow=True)
    assert "already have 0 queued jobs" in response.content.decode()
    assert VideoJob.objects.count() == 1


def test_download_one_redirects_to_the_file_and_many_make_a_zip(editor, editor_client):
    first, second = make_job(editor, seed=1), make_job(editor, seed=2)
    worker.run_next_job()
    worker.run_next_job()
    videos = {video.id: video for video in Video.objects.all()}

    one = run_action(editor_client, "download_selected", [first])
    assert one.status_code == 302 and one["Location"] == f"/api/download/{first.video.id}"

    both = run_action(editor_client, "download_selected", [first, second])
    assert both.status_code == 200 and both["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(both.streaming_content)))
    assert sorted(archive.namelist()) == sorted(f"{video_id}.mp4" for video_id in videos)
    for video_id, video in videos.items():
        with video.file.open("rb") as handle:
            assert archive.read(f"{video_id}.mp4") == handle.read()


def test_download_of_jobs_without_video_says_so(editor, editor_client):
    job = make_job(editor)
    response = run_action(editor_client, "download_selected", [job], follow=True)
    assert "None of the selected jobs has a video." in response.content.decode()
