"""The studio's history and queue: search by prompt, delete (video, job and files; owner
only; a reused video stays), readable download names, the permalink page, the queue panel's
rows."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from tests.videos.factories import make_job
from tests.videos.studio.conftest import csrf_headers
from videos import services, worker
from videos.models import JobStatus, Video, VideoJob


def made_video(owner, **overrides) -> Video:
    job = make_job(owner, **overrides)
    worker.run_next_job()
    return Video.objects.get(job=job)


def stored_names(video: Video) -> list[str]:
    return [video.file.name, video.poster.name, *video.job.params["files"].values()]


def delete(client: Client, video_id, csrf: bool = True):
    headers = csrf_headers(client) if csrf else {}
    return client.post(f"/studio/videos/{video_id}/delete", {}, content_type="application/json", **headers)


# --- search ---------------------------------------------------------------------------------


def test_search_finds_prompts_containing_the_text_and_keeps_it_across_pages(owner, stranger, owner_browser):
    from tests.videos.studio.test_studio_page import _fake_videos

    videos = _fake_videos(owner, 14)
    VideoJob.objects.filter(pk=videos[3].job_id).update(prompt="A Red Fox at dusk")
    make_job(stranger, prompt="bob's red fox")
    found = owner_browser.get("/studio/gallery?q=red+fox").content.decode()
    assert "A Red Fox at dusk" in found and "gallery video" not in found and "bob" not in found
    # Paginated with the query kept in the page links.
    paged = owner_browser.get("/?q=gallery").content.decode()
    assert "Page 1 of 2" in paged and 'href="?page=2&amp;q=gallery"' in paged
    assert 'value="gallery"' in paged  # the search box shows it
    second = owner_browser.get("/studio/gallery?q=gallery&page=2").content.decode()
    assert "gallery video 00" in second and "A Red Fox" not in second
    nothing = owner_browser.get("/studio/gallery?q=zebra").content.decode()
    assert "gallery-card" not in nothing and "No video's prompt contains &ldquo;zebra&rdquo;" in nothing


# --- delete ---------------------------------------------------------------------------------


def test_the_owner_deletes_a_video_with_its_job_and_files(owner, owner_browser):
    video = made_video(owner, prompt="a lighthouse to delete")
    names = stored_names(video)
    assert len(names) >= 3 and all(default_storage.exists(name) for name in names)
    kept = made_video(owner, prompt="a lighthouse to keep")
    response = delete(owner_browser, video.id)
    assert response.status_code == 200 and response.json() == {"deleted": str(video.id)}
    assert not Video.objects.filter(pk=video.pk).exists() and not VideoJob.objects.filter(pk=video.job_id).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert all(default_storage.exists(name) for name in stored_names(kept))
    assert "to delete" not in owner_browser.get("/studio/gallery").content.decode()
    assert delete(owner_browser, video.id).status_code == 404  # gone


def test_delete_deletes_an_image_to_video_input_too(owner):
    from django.core.files.base import ContentFile

    from tests.support.images import solid_png

    video = made_video(owner)
    source = default_storage.save("inputs/2026/01/start.png", ContentFile(solid_png()))
    VideoJob.objects.filter(pk=video.job_id).update(source_image=source)  # as an image-to-video job keeps it
    assert source in services.delete_video(owner, video.id)
    assert not default_storage.exists(source)


def test_a_stranger_or_staff_cannot_delete_someone_elses_video(owner, staff, stranger_browser):
    video = made_video(owner)
    assert delete(stranger_browser, video.id).status_code == 404
    staff_browser = Client(enforce_csrf_checks=True)
    staff_browser.force_login(staff)
    staff_browser.get("/")
    assert delete(staff_browser, video.id).status_code == 404  # owner only, even for staff
    with pytest.raises(Video.DoesNotExist):
        services.delete_video(staff, video.id)
    assert Video.objects.filter(pk=video.pk).exists() and all(default_storage.exists(n) for n in stored_names(video))


def test_delete_needs_csrf_and_a_post(owner, owner_browser):
    video = made_video(owner)
    assert delete(owner_browser, video.id, csrf=False).status_code == 403
    assert owner_browser.get(f"/studio/videos/{video.id}/delete").status_code == 405
    assert delete(Client(), video.id, csrf=False).status_code == 403
    assert Video.objects.filter(pk=video.pk).exists()


def test_a_video_another_job_reuses_stays(owner, owner_browser):
    video = made_video(owner, seed=7, prompt="a reused harbour")
    again = make_job(owner, seed=7, prompt="a reused harbour")  # same request: answered with the video
    assert again.status == JobStatus.COMPLETED and again.reused_from_id == video.pk
    response = delete(owner_browser, video.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "video_in_use"
    assert "1 other job" in response.json()["error"]["message"]
    assert Video.objects.filter(pk=video.pk).exists() and all(default_storage.exists(n) for n in stored_names(video))
    # Once that job is gone, the video may go.
    VideoJob.objects.filter(pk=again.pk).delete()
    assert delete(owner_browser, video.id).status_code == 200


# --- download names -------------------------------------------------------------------------


def test_downloads_are_named_from_the_prompt_and_seed(owner, owner_api, owner_browser):
    video = made_video(owner, prompt="A red fox, running!", seed=42)
    answers = {
        variant: owner_api.get(f"/api/download/{video.id}" + (f"?variant={variant}" if variant else ""))
        for variant in ("", "thumbnail", "preview")
    }
    assert answers[""]["Content-Disposition"] == 'inline; filename="a-red-fox-running-42.mp4"'
    assert answers["thumbnail"]["Content-Disposition"] == 'inline; filename="a-red-fox-running-42-poster.jpg"'
    assert answers["preview"]["Content-Disposition"] == 'inline; filename="a-red-fox-running-42-preview.webp"'
    assert 'download="a-red-fox-running-42.mp4"' in owner_browser.get("/").content.decode()


def test_a_long_or_non_ascii_prompt_still_gets_a_short_name(owner):
    from videos.selectors import download_name

    video = made_video(owner, prompt="日本の桜", seed=5)
    assert download_name(video, "mp4") == "video-5.mp4"
    VideoJob.objects.filter(pk=video.job_id).update(prompt="word " * 40)
    video.refresh_from_db()
    name = download_name(Video.objects.select_related("job").get(pk=video.pk), "mp4")
    assert name == "-".join(["word"] * 12) + "-5.mp4"  # whole words within 60 characters


# --- permalink ------------------------------------------------------------------------------


def test_the_permalink_shows_the_video_and_its_settings_to_its_owner(owner, owner_browser):
    video = made_video(owner, prompt="a paper boat on a pond", seed=9, negative_prompt="blurry")
    page = owner_browser.get(f"/videos/{video.id}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "a paper boat on a pond" in html and f'src="/api/download/{video.id}"' in html
    for name, value in (("Seed", "9"), ("Resolution", "64x64"), ("Steps", "2"), ("Negative prompt", "blurry")):
        assert f'<th scope="row">{name}</th><td>{value}</td>' in html, name
    assert f'href="/?use={video.job_id}">Use these settings</a>' in html
    assert 'download="a-paper-boat-on-a-pond-9.mp4"' in html
    # The history links to it.
    assert f'href="/videos/{video.id}" class="permalink"' in owner_browser.get("/").content.decode()


def test_the_permalink_is_404_for_others_and_asks_anonymous_to_sign_in(owner, staff, stranger_browser):
    video = made_video(owner)
    assert stranger_browser.get(f"/videos/{video.id}").status_code == 404
    anonymous = Client().get(f"/videos/{video.id}")
    assert anonymous.status_code == 302 and anonymous["Location"] == f"/login/?next=/videos/{video.id}"
    staff_client = Client()
    staff_client.force_login(staff)
    seen = staff_client.get(f"/videos/{video.id}")
    assert seen.status_code == 200 and "Use these settings" not in seen.content.decode()  # not their job


# --- queue panel ----------------------------------------------------------------------------


def test_the_queue_lists_my_running_and_queued_jobs_with_position(owner, stranger, owner_browser):
    first = make_job(owner, prompt="first")
    second = make_job(owner, prompt="second")
    done = make_job(owner, prompt="done")
    make_job(stranger, prompt="bob's")
    services.cancel_job(done)
    VideoJob.objects.filter(pk=second.pk).update(status=JobStatus.PROCESSING, progress=40)
    jobs = owner_browser.get("/studio/queue").json()["jobs"]
    assert [job["prompt"] for job in jobs] == ["second", "first"]  # running first
    assert jobs[0]["status"] == "processing" and jobs[0]["progress"] == 40
    assert jobs[1]["task_id"] == str(first.pk) and jobs[1]["status"] == "queued"
    assert jobs[1]["queue_position"] >= 1 and "eta_seconds" in jobs[1]


def test_the_queue_needs_login(db):
    response = Client().get("/studio/queue")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_page_has_the_labelled_panels_and_loads_its_scripts(owner_browser):
    html = owner_browser.get("/").content.decode()
    assert '<label for="variations">Variations</label>' in html
    assert [
        int(n) for n in re.findall(r'<option value="(\d)"', html.split('id="variations"')[1].split("</select>")[0])
    ] == [
        1,
        2,
        3,
        4,
    ]
    assert '<label for="gallery-q">Search prompts</label>' in html and 'role="search"' in html
    for live_region in ("queue-summary", "queue-note", "variations-status", "gallery-status", "form-note"):
        assert re.search(rf'id="{live_region}"[^>]*aria-live="polite"', html), live_region
    assert 'data-queue-url="/studio/queue"' in html
    scripts = re.findall(r'<script src="/static/videos/(\w+)\.js">', html)
    assert scripts[:5] == ["studio_common", "studio_queue", "studio_history", "studio_variations", "studio"]
