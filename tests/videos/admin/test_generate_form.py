"""The admin's "Generate video" form: the same validation as the API, a job with
source="admin" owned by whoever generated it."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.test import Client

from videos.models import PromptTemplate, VideoJob

URL = "/admin/videos/videojob/generate/"


def test_the_list_links_to_the_form_and_add_redirects_there(editor_client):
    assert 'href="/admin/videos/videojob/generate/"' in editor_client.get("/admin/videos/videojob/").content.decode()
    response = editor_client.get("/admin/videos/videojob/add/")
    assert response.status_code == 302 and response["Location"] == URL


def test_form_shows_labelled_fields(editor_client):
    html = editor_client.get(URL).content.decode()
    for name in ("prompt", "template", "variables", "negative_prompt", "duration", "resolution", "quality", "seed"):
        assert f'for="id_{name}"' in html, name
    assert "Generate video" in html


def test_generate_creates_an_admin_job_for_the_user(editor, editor_client):
    response = editor_client.post(
        URL,
        {"prompt": "a fox in snow", "duration": "1", "resolution": "64x64", "quality": "draft", "seed": "77"},
    )
    job = VideoJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/videos/videojob/{job.pk}/change/"
    assert (job.owner, job.source, job.prompt) == (editor, "admin", "a fox in snow")
    assert job.params["seed"] == 77 and job.params["resolution"] == "64x64"
    assert job.params["enhance_quality"] is False and job.params["num_inference_steps"] == 2


def test_fit_and_frame_rate_choices_come_from_the_model_listing(editor, editor_client):
    (model,) = editor_client.get("/api/models").json()["models"]  # what API clients are offered
    html = editor_client.get(URL).content.decode()
    fits = re.findall(r'<option value="(\w+)">\w+</option>', html.split('id="id_fit"')[1].split("</select>")[0])
    rates = re.findall(r'<option value="(\d+)">', html.split('id="id_fps"')[1].split("</select>")[0])
    assert fits == model["fits"] and [int(r) for r in rates] == model["fps"]

    editor_client.post(URL, {"prompt": "a fox", "duration": "1", "resolution": "64x64", "fit": "pad",
                             "pad_color": "#102030", "fps": str(model["fps"][-1]), "webm": "on"})  # fmt: skip
    job = VideoJob.objects.get()
    assert (job.params["fit"], job.params["fps"], job.params["formats"]) == ("pad", model["fps"][-1], ["mp4", "webm"])
    assert job.params["pad_color"] == "#102030"
    bad = editor_client.post(URL, {"prompt": "a fox", "fit": "squash", "fps": "7"}).content.decode()
    assert "Select a valid choice. squash" in bad and "Select a valid choice. 7" in bad


def test_generate_from_a_template_with_variables(editor, editor_client):
    PromptTemplate.objects.create(
        slug="product", name="Product", text="A {product} on a {surface}, studio light", default_params={"duration": 2}
    )
    editor_client.post(URL, {"template": "product", "variables": "product = red sneaker\nsurface: oak table"})
    job = VideoJob.objects.get()
    assert job.prompt == "A red sneaker on a oak table, studio light"
    assert job.template.slug == "product" and job.params["duration"] == 2


def test_invalid_input_shows_the_api_messages_and_creates_nothing(editor_client):
    response = editor_client.post(URL, {"prompt": "x", "resolution": "100x100", "seed": "-1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "width 100 is not a multiple of 16" in html
    assert "Must be from 0 to 4294967295." in html
    assert VideoJob.objects.count() == 0


def test_missing_template_variables_are_reported(editor_client):
    PromptTemplate.objects.create(slug="product", name="Product", text="A {product} on a {surface}")
    html = editor_client.post(URL, {"template": "product", "variables": "product = shoe"}).content.decode()
    assert "Missing variables: surface." in html
    assert VideoJob.objects.count() == 0


def test_badly_written_variables_are_reported(editor_client):
    PromptTemplate.objects.create(slug="product", name="Product", text="A {product}")
    html = editor_client.post(URL, {"template": "product", "variables": "just text"}).content.decode()
    assert "Line 1: write name = value." in html
    assert VideoJob.objects.count() == 0


def test_users_without_add_permission_cannot_generate(db):
    viewer = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    client = Client()
    client.force_login(viewer)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"prompt": "x"}).status_code == 403
    assert VideoJob.objects.count() == 0


def test_generate_form_and_reruns_are_throttled_like_the_api(editor, editor_client, settings):
    settings.COGVIDEO_THROTTLE_RATES = {**settings.COGVIDEO_THROTTLE_RATES, "generate": "2/minute"}
    body = {"prompt": "a fox in snow", "duration": "1", "resolution": "64x64", "quality": "draft"}
    assert [editor_client.post(URL, body).status_code for _ in range(2)] == [302, 302]
    refused = editor_client.post(URL, body)
    assert refused.status_code == 200 and "Too many new jobs: at most 2/minute" in refused.content.decode()
    job = VideoJob.objects.first()
    rerun = editor_client.post(f"/admin/videos/videojob/{job.pk}/rerun/", {"seed": "new"}, follow=True)
    assert "Too many new jobs" in rerun.content.decode()
    assert VideoJob.objects.count() == 2
