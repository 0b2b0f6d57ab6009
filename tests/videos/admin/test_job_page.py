"""The job page: a seekable player of the result, the poster, every resolved parameter (seed
included), problems, timeline; only for whoever may see the job."""

from __future__ import annotations

import re

from tests.videos.factories import make_job
from videos import services, worker
from videos.models import JobStatus, Video, VideoJob


def page_url(job) -> str:
    return f"/admin/videos/videojob/{job.pk}/change/"


def test_completed_job_page_has_player_poster_params_and_timeline(editor, editor_client):
    job = make_job(editor, prompt="a lighthouse at dusk", seed=4242)
    worker.run_next_job()
    video = Video.objects.get(job=job)
    response = editor_client.get(page_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(
        rf'<video class="cv-player" controls[^>]*poster="/api/download/{video.id}\?variant=thumbnail" '
        rf'src="/api/download/{video.id}"',
        html,
    )
    assert "<th scope='row'>seed</th><td>4242</td>" in html
    assert "<th scope='row'>resolution</th><td>64x64</td>" in html
    assert "<th scope='row'>started</th>" in html and "<th scope='row'>finished</th>" in html
    # Timings as a table of their own in people's units, not a raw dict.
    assert re.search(r"<th scope='row'>timings</th><td><table class=\"cv-params\">", html)
    assert re.search(r"<th scope='row'>encode_seconds</th><td>\d+(\.\d s| ms)</td>", html), html
    assert '{"denoise' not in html and f"({video.duration_label})" in html and video.duration_label == "1.1 s"
    assert "a lighthouse at dusk" in html
    # Jobs change only through services: no editable form, no save button.
    assert 'name="_save"' not in html


def test_the_player_source_answers_range_requests_for_the_session(editor, editor_client):
    job = make_job(editor)
    worker.run_next_job()
    video = Video.objects.get(job=job)
    response = editor_client.get(f"/api/download/{video.id}", HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-99/{video.size_bytes}"
    assert len(b"".join(response.streaming_content)) == 100


def test_failed_job_page_shows_error_and_warnings(editor, editor_client):
    job = make_job(editor)
    claimed = services.claim_next_job("test-worker")
    services.add_warning(claimed, "GPU out of memory; retried once in memory mode model_offload.")
    services.fail_job(claimed, "out_of_memory", "Out of GPU memory at 64x64.")
    html = editor_client.get(page_url(job)).content.decode()
    assert "Out of GPU memory at 64x64." in html
    assert "<li>GPU out of memory; retried once in memory mode model_offload.</li>" in html
    assert '<span class="cv-badge cv-failed">Failed</span>' in html
    assert f'action="/admin/videos/videojob/{job.pk}/rerun/"' in html and ">Retry</button>" in html


def test_another_editors_job_is_not_shown(editor, other_editor_client):
    job = make_job(editor, prompt="private prompt of edna")
    response = other_editor_client.get(page_url(job), follow=True)
    html = response.content.decode()
    assert "private prompt of edna" not in html
    assert "doesn’t exist" in html or "doesn't exist" in html


def test_staff_sees_any_job_page(editor, superuser_client):
    job = make_job(editor, prompt="edna's prompt for staff")
    html = superuser_client.get(page_url(job)).content.decode()
    assert "edna&#x27;s prompt for staff" in html


def test_queued_job_page_offers_cancel_which_cancels(editor, editor_client):
    job = make_job(editor)
    html = editor_client.get(page_url(job)).content.decode()
    assert f'action="/admin/videos/videojob/{job.pk}/cancel/"' in html
    response = editor_client.post(f"/admin/videos/videojob/{job.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == page_url(job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED


def test_cannot_cancel_or_rerun_another_editors_job(editor, other_editor_client):
    job = make_job(editor)
    assert other_editor_client.post(f"/admin/videos/videojob/{job.pk}/cancel/").status_code == 404
    assert other_editor_client.post(f"/admin/videos/videojob/{job.pk}/rerun/", {"seed": "new"}).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert VideoJob.objects.count() == 1


def test_rerun_with_new_seed_from_the_page(editor, editor_client):
    job = make_job(editor, seed=11)
    response = editor_client.post(f"/admin/videos/videojob/{job.pk}/rerun/", {"seed": "new"})
    new_job = VideoJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == page_url(new_job)
    assert new_job.source == "admin" and new_job.owner == editor
    assert new_job.params["seed_given"] is False
    same = {k: v for k, v in job.params.items() if k not in {"seed", "seed_given"}}
    assert {k: new_job.params[k] for k in same} == same


def test_an_image_jobs_page_shows_its_start_image_to_who_may_see_the_job(
    editor, editor_client, other_editor_client, settings
):
    from cogvideo_site.launcher import model_queue_name
    from tests.support.images import data_url, solid_png

    models = ["tiny-random", "tiny-random-i2v"]
    settings.COGVIDEO_WORKER_MODELS = models
    settings.COGVIDEO_MODEL_QUEUES = {m: model_queue_name("cogvideo", m, "tiny-random") for m in models}
    picture = solid_png((10, 120, 60), size=(96, 64))
    job = make_job(editor, model="tiny-random-i2v", image=data_url(picture), fit="pad")
    html = editor_client.get(page_url(job)).content.decode()
    image_url = f"/api/tasks/{job.pk}/image"
    assert f'<a href="{image_url}"><img class="cv-start-image" src="{image_url}"' in html
    assert "PNG 96x64, " in html and "from a data URL; fitted to 64x64 by pad." in html
    # The image the page shows answers the page's session, and nobody else.
    shown = editor_client.get(image_url)
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == picture
    assert other_editor_client.get(image_url).status_code == 404
    text_job = make_job(editor)
    assert "— (text to video)" in editor_client.get(page_url(text_job)).content.decode()
