"""The studio's JSON endpoints: generate and rerun. Session auth with CSRF, the API's
validation and error shape, jobs with source="studio"; users reach only their own jobs."""

from __future__ import annotations

from django.test import Client

from tests.videos.factories import make_job
from tests.videos.studio.conftest import csrf_headers
from videos import worker
from videos.models import JobStatus, VideoJob

TINY = {"prompt": "a red fox running through snow", "duration": 1, "resolution": "64x64", "num_inference_steps": 2}


def post_json(client: Client, url: str, body: dict, csrf: bool = True):
    headers = csrf_headers(client) if csrf else {}
    return client.post(url, body, content_type="application/json", **headers)


def test_generate_creates_a_studio_job(owner, owner_browser):
    response = post_json(owner_browser, "/studio/generate", {**TINY, "seed": 12, "enhance_quality": False})
    assert response.status_code == 200
    body = response.json()
    job = VideoJob.objects.get(pk=body["task_id"])
    assert (job.owner, job.source, job.status) == (owner, "studio", JobStatus.QUEUED)
    assert body["status"] == "queued" and body["seed"] == 12 and body["queue_position"] == 1
    assert body["status_url"].endswith(f"/api/status/{job.pk}")


def test_generate_without_the_csrf_token_is_refused(owner_browser):
    response = post_json(owner_browser, "/studio/generate", TINY, csrf=False)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert VideoJob.objects.count() == 0


def test_generate_needs_a_session(db):
    response = Client().post("/studio/generate", TINY, content_type="application/json")
    assert response.status_code == 403
    assert VideoJob.objects.count() == 0


def test_bad_input_gets_the_api_error_shape_and_creates_nothing(owner_browser):
    response = post_json(owner_browser, "/studio/generate", {"prompt": "", "duration": 9, "resolution": "100x64"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["duration"] == ["Must be a whole number of seconds from 1 to 6 for tiny-random."]
    assert "multiple of 16" in error["fields"]["resolution"][0]
    assert error["fields"]["prompt"] == ["Give a prompt, or a template with its variables."]
    assert VideoJob.objects.count() == 0


def test_session_polls_status_and_cancels_through_the_api(owner_browser):
    task_id = post_json(owner_browser, "/studio/generate", TINY).json()["task_id"]
    assert owner_browser.get(f"/api/status/{task_id}").json()["status"] == "queued"
    assert post_json(owner_browser, f"/api/cancel/{task_id}", {}, csrf=False).status_code == 403
    canceled = post_json(owner_browser, f"/api/cancel/{task_id}", {})
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"


def test_same_seed_and_new_seed(owner, owner_browser):
    job = make_job(owner, seed=31, prompt="a lighthouse")
    worker.run_next_job()
    same = post_json(owner_browser, f"/studio/jobs/{job.pk}/rerun", {"seed": "same"})
    assert same.status_code == 200
    assert same.json()["seed"] == 31 and same.json()["prompt"] == "a lighthouse"
    new = post_json(owner_browser, f"/studio/jobs/{job.pk}/rerun", {"seed": "new"})
    assert new.status_code == 200
    new_job = VideoJob.objects.get(pk=new.json()["task_id"])
    assert new_job.source == "studio" and new_job.params["seed_given"] is False
    assert new_job.params["resolution"] == job.params["resolution"]


def test_rerun_of_someone_elses_job_is_404_and_creates_nothing(owner, stranger_browser):
    job = make_job(owner)
    response = post_json(stranger_browser, f"/studio/jobs/{job.pk}/rerun", {"seed": "new"})
    assert response.status_code == 404
    assert VideoJob.objects.count() == 1


def test_rerun_needs_a_seed_choice(owner, owner_browser):
    job = make_job(owner)
    response = post_json(owner_browser, f"/studio/jobs/{job.pk}/rerun", {"seed": "banana"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert VideoJob.objects.count() == 1


def test_a_resent_form_with_its_idempotency_key_creates_one_job(owner_browser):
    """studio.js sends the same key when the editor submits the same form again after a lost
    answer; the studio follows the API's key policy (videos/services/idempotency.py)."""
    headers = {**csrf_headers(owner_browser), "HTTP_IDEMPOTENCY_KEY": "studio-abc"}
    first = owner_browser.post("/studio/generate", TINY, content_type="application/json", **headers)
    again = owner_browser.post("/studio/generate", TINY, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["task_id"] == first.json()["task_id"] and VideoJob.objects.count() == 1
    other = owner_browser.post("/studio/generate", {**TINY, "seed": 3}, content_type="application/json", **headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert VideoJob.objects.count() == 1


def test_generate_is_throttled_like_the_api_and_shares_its_budget(
    owner, owner_browser, owner_api, stranger_api, settings
):
    settings.COGVIDEO_THROTTLE_RATES = {**settings.COGVIDEO_THROTTLE_RATES, "generate": "3/minute"}
    codes = [post_json(owner_browser, "/studio/generate", TINY).status_code for _ in range(3)]
    limited = post_json(owner_browser, "/studio/generate", TINY)
    assert codes == [200, 200, 200] and limited.status_code == 429, limited.content
    assert limited.json()["error"]["code"] == "throttled" and 0 < int(limited["Retry-After"]) <= 60
    job = VideoJob.objects.filter(owner=owner).first()
    assert post_json(owner_browser, f"/studio/jobs/{job.pk}/rerun", {"seed": "new"}).status_code == 429
    # One budget per user whichever door: the API is closed to the owner too, not to others.
    assert owner_api.post("/api/generate", TINY, format="json").status_code == 429
    assert stranger_api.post("/api/generate", TINY, format="json").status_code == 200
    assert VideoJob.objects.filter(owner=owner).count() == 3
