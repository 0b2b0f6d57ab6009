"""The job list: editors see their own jobs, staff all; posters, badges and filters; the
number of queries does not grow with the number of jobs (no N+1), even at 10,000 jobs."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.videos.factories import make_job
from videos import worker
from videos.models import JobStatus, PromptTemplate, Video, VideoJob

LIST_URL = "/admin/videos/videojob/"


def test_editor_sees_only_own_jobs_and_staff_sees_all(editor, other_editor, editor_client, superuser_client):
    mine = make_job(editor, prompt="my own lighthouse")
    theirs = make_job(other_editor, prompt="somebody else's castle")
    html = editor_client.get(LIST_URL).content.decode()
    assert "my own lighthouse" in html and "castle" not in html
    assert str(theirs.pk) not in html
    all_html = superuser_client.get(LIST_URL).content.decode()
    assert "my own lighthouse" in all_html and "somebody else&#x27;s castle" in all_html
    assert str(mine.pk) in all_html


def test_list_shows_poster_status_badge_progress_and_generation_time(editor, editor_client):
    job = make_job(editor, prompt="a lighthouse at dusk")
    worker.run_next_job()
    job.refresh_from_db()
    video = Video.objects.get(job=job)
    html = editor_client.get(LIST_URL).content.decode()
    assert f'src="/api/download/{video.id}?variant=thumbnail"' in html
    # The poster shows the animated WebP preview on hover.
    assert f'data-preview="/api/download/{video.id}?variant=preview"' in html and "videos/hover_preview.js" in html
    assert editor_client.get(f"/api/download/{video.id}?variant=preview").status_code == 200
    assert '<span class="cv-badge cv-completed">Completed</span>' in html
    assert '<progress class="cv-progress" max="100" value="100"' in html
    seconds = (job.finished_at - job.started_at).total_seconds()
    assert f"{seconds:.1f} s" in html


def test_filters_and_search(editor, editor_client):
    template = PromptTemplate.objects.create(slug="ocean", name="Ocean", text="waves over {place}")
    make_job(editor, prompt="a fox in snow")
    from_template = make_job(editor, prompt="", template="ocean", variables={"place": "rocks"})
    canceled = make_job(editor, prompt="a canceled owl")
    VideoJob.objects.filter(pk=canceled.pk).update(status=JobStatus.CANCELED)

    by_status = editor_client.get(LIST_URL, {"status__exact": "canceled"}).content.decode()
    assert "a canceled owl" in by_status and "a fox in snow" not in by_status
    by_template = editor_client.get(LIST_URL, {"template__id__exact": template.pk}).content.decode()
    assert from_template.prompt in by_template and "a fox in snow" not in by_template
    searched = editor_client.get(LIST_URL, {"q": "fox"}).content.decode()
    assert "a fox in snow" in searched and "a canceled owl" not in searched
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    today = editor_client.get(LIST_URL, {"created_at__gte": since}).content.decode()
    assert "a fox in snow" in today


def _bulk_jobs(owners, count: int, template) -> None:
    now = timezone.now()
    VideoJob.objects.bulk_create(
        [
            VideoJob(
                id=uuid.uuid4(),
                owner=owners[i % len(owners)],
                template=template if i % 2 else None,
                prompt=f"bulk job number {i}",
                params={"seed": i, "resolution": "64x64", "duration": 1, "num_inference_steps": 2},
                status=JobStatus.QUEUED if i % 3 else JobStatus.FAILED,
                created_at=now,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )


def _list_queries(client) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(LIST_URL)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return len(captured), elapsed


def test_query_count_does_not_grow_with_jobs(editor, other_editor, superuser, superuser_client):
    template = PromptTemplate.objects.create(slug="t", name="T", text="a {thing}")
    for owner in (editor, other_editor):
        make_job(owner)
    worker.run_next_job()  # one with a video and poster, so those columns are exercised
    few, _ = _list_queries(superuser_client)

    _bulk_jobs([editor, other_editor, superuser], 10_000, template)
    many, elapsed = _list_queries(superuser_client)
    assert VideoJob.objects.count() == 10_002
    assert many == few, f"{few} queries for 2 jobs but {many} for 10,002"
    # A generous bound for a shared 2-core machine; the real figure is in the report.
    assert elapsed < 10, f"the list took {elapsed:.2f}s with 10,002 jobs"
    print(f"\nadmin job list: {many} queries, {elapsed * 1000:.0f} ms with 10,002 jobs")
