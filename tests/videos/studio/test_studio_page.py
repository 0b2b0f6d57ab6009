"""The studio page at "/": session login, the form with its labels, the gallery of the
user's own videos, paginated."""

from __future__ import annotations

import json
import re

from django.test import Client

from tests.videos.factories import make_job
from videos import worker
from videos.models import PromptTemplate, Video


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/"
    login = Client().get("/login/?next=/").content.decode()
    assert '<label for="id_username">Username</label>' in login
    assert '<label for="id_password">Password</label>' in login
    assert "launch.py" in login  # tells a new user where the first login comes from


def test_login_with_password_and_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    # Without the token: refused.
    assert client.post("/login/", {"username": "alice", "password": "pw-alice"}).status_code == 403
    bad = client.post("/login/", {"username": "alice", "password": "wrong", "csrfmiddlewaretoken": token})
    assert bad.status_code == 200 and "didn't match" in bad.content.decode()
    assert "wrong" not in bad.content.decode()  # the password is never echoed
    good = client.post(
        "/login/", {"username": "alice", "password": "pw-alice", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert good.status_code == 302 and good["Location"] == "/"
    assert "Signed in as <strong>alice</strong>" in client.get("/").content.decode()


def test_logout_needs_a_post(owner_browser):
    from tests.videos.studio.conftest import csrf_headers

    response = owner_browser.post("/logout/", **csrf_headers(owner_browser))
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert owner_browser.get("/").status_code == 302


def test_page_has_labelled_controls_and_templates(owner_browser):
    PromptTemplate.objects.create(
        slug="product", name="Product shot", text="A {product}", sample_variables={"product": "shoe"}
    )
    PromptTemplate.objects.create(slug="off", name="Retired", text="x", is_active=False)
    html = owner_browser.get("/").content.decode()
    for control in ("template", "prompt", "duration", "resolution", "seed", "enhance_quality", "num_inference_steps"):
        assert f'<label for="{control}">' in html, control
        assert f'id="{control}"' in html
    assert '<option value="6" selected>6 s</option>' in html
    assert '<option value="64x64">' in html  # a resolution suggestion
    (model,) = owner_browser.get("/api/models").json()["models"]  # fits and rates as the API lists them
    fits = re.findall(r'<option value="(\w+)"', html.split('id="fit"')[1].split("</select>")[0])
    rates = re.findall(r'<option value="(\d+)"', html.split('id="fps"')[1].split("</select>")[0])
    assert fits == model["fits"] and [int(r) for r in rates] == model["fps"]
    assert 'id="job-progress"' in html and 'role="alert"' in html
    data = json.loads(re.search(r'<script id="templates-data" type="application/json">(.*?)</script>', html).group(1))
    assert [t["slug"] for t in data] == ["product"] and data[0]["placeholders"] == ["product"]
    assert 'name="viewport"' in html and "videos/studio.js" in html and "videos/studio.css" in html


def test_admin_link_only_for_admin_users(owner_browser, staff):
    assert 'href="/admin/"' not in owner_browser.get("/").content.decode()
    client = Client()
    client.force_login(staff)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_gallery_shows_own_videos_with_play_download_and_rerun(owner, stranger, owner_browser):
    mine = make_job(owner, prompt="my lighthouse", seed=31)
    make_job(stranger, prompt="bob's secret castle")
    worker.run_next_job()
    worker.run_next_job()
    video = Video.objects.get(job=mine)
    html = owner_browser.get("/").content.decode()
    assert "my lighthouse" in html and "secret castle" not in html
    assert f'src="/api/download/{video.id}" poster="/api/download/{video.id}?variant=thumbnail"' in html
    # The poster plays the animated WebP preview on hover; the MP4 loads only on Play.
    assert f'data-preview="/api/download/{video.id}?variant=preview"' in html and "videos/hover_preview.js" in html
    assert f'href="/api/download/{video.id}" download="my-lighthouse-31.mp4"' in html  # the prompt and seed
    assert "seed 31" in html
    assert 'data-seed="same">Same seed again</button>' in html and 'data-seed="new">New seed</button>' in html


def _fake_videos(owner, count: int) -> list[Video]:
    """Gallery rows without running the pipeline: the gallery only lists them."""
    videos = []
    for number in range(count):
        job = make_job(owner, prompt=f"gallery video {number:02d}")
        videos.append(
            Video.objects.create(
                job=job,
                owner=owner,
                file=f"videos/x{number}.mp4",
                poster=f"videos/x{number}.jpg",
                width=64,
                height=64,
                frames=9,
                fps=8,
                size_bytes=1,
                sha256="0" * 64,
            )  # fmt: skip
        )
    return videos


def test_gallery_is_paginated(owner, owner_browser):
    _fake_videos(owner, 14)
    first = owner_browser.get("/").content.decode()
    assert "gallery video 13" in first and "gallery video 02" in first and "gallery video 01" not in first
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = owner_browser.get("/studio/gallery?page=2").content.decode()
    assert "gallery video 01" in second and "gallery video 00" in second and "gallery video 13" not in second
    assert "<html" not in second  # a fragment for studio.js
    assert "Page 2 of 2" in second


def test_gallery_fragment_needs_login(db):
    response = Client().get("/studio/gallery")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_running_job_is_picked_up_again_after_a_reload(owner, owner_browser):
    job = make_job(owner)
    assert f'data-running-job="{job.pk}"' in owner_browser.get("/").content.decode()
