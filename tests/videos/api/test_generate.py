"""POST /api/generate: the article's request bodies, every bound, and the error shape."""

from __future__ import annotations

import json

import pytest

from videos.models import JobStatus, PromptTemplate, VideoJob

ARTICLE_PYTHON_BODY = {
    "prompt": "A beautiful sunset over the ocean with waves crashing",
    "duration": 4,
    "resolution": "512x512",
    "enhance_quality": True,
}
ARTICLE_WORDPRESS_BODY = {"prompt": "A post about spring", "duration": 4, "resolution": "512x512"}


def post(client, body, **headers):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/api/generate", payload, content_type="application/json", **headers)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


@pytest.mark.parametrize("body", [ARTICLE_PYTHON_BODY, ARTICLE_WORDPRESS_BODY])
def test_article_bodies_answer_200_with_a_queued_task(owner_api, owner, body):
    response = post(owner_api, body)
    assert response.status_code == 200
    data = response.json()
    job = VideoJob.objects.get(pk=data["task_id"])
    assert job.owner == owner
    assert data["status"] == "queued" == job.status
    assert data["progress"] == 0
    assert data["queue_position"] == 1
    assert data["video_id"] is None
    params = data["params"]
    assert (params["width"], params["height"], params["duration"]) == (512, 512, 4)
    assert params["num_frames"] == 8 * 4 + 1 and params["fps"] == 8
    assert isinstance(data["seed"], int) and data["seed"] == job.params["seed"]
    assert data["status_url"].endswith(f"/api/status/{job.id}")


def test_defaults_are_the_native_size_and_full_quality(owner_api):
    data = post(owner_api, {"prompt": "a calm lake"}).json()
    params = data["params"]
    assert params["resolution"] == "720x480"
    assert params["duration"] == 6 and params["num_frames"] == 49
    assert params["enhance_quality"] is True
    draft = post(owner_api, {"prompt": "a calm lake", "enhance_quality": False}).json()["params"]
    assert draft["num_inference_steps"] < params["num_inference_steps"]


def test_explicit_parameters_are_kept(owner_api):
    body = {
        "prompt": "a lighthouse",
        "negative_prompt": "blurry",
        "duration": 2,
        "resolution": "320x192",
        "seed": 42,
        "num_inference_steps": 7,
        "guidance_scale": 4.5,
        "metadata": {"post_id": 17, "site": "blog"},
    }
    data = post(owner_api, body).json()
    assert data["seed"] == 42 and data["negative_prompt"] == "blurry"
    assert data["params"]["num_inference_steps"] == 7 and data["params"]["guidance_scale"] == 4.5
    assert data["params"]["num_frames"] == 17
    assert data["metadata"] == {"post_id": 17, "site": "blog"}


def test_template_with_variables(owner_api):
    PromptTemplate.objects.create(
        slug="product", name="Product", text="A {product} on a {surface}, studio light", default_params={"duration": 2}
    )
    data = post(owner_api, {"template": "product", "variables": {"product": "red shoe", "surface": "marble table"}})
    assert data.status_code == 200, data.content
    body = data.json()
    assert body["prompt"] == "A red shoe on a marble table, studio light"
    assert body["template"] == "product" and body["params"]["duration"] == 2


BAD_INPUTS = [
    ({}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"prompt": "   "}, "prompt"),
    ({"prompt": "x" * 2001}, "prompt"),
    ({"prompt": 5}, "prompt"),
    ({"prompt": ["a"]}, "prompt"),
    ({"prompt": "bell\x07"}, "prompt"),
    ({"prompt": "a", "duration": 0}, "duration"),
    ({"prompt": "a", "duration": 7}, "duration"),
    ({"prompt": "a", "duration": "x"}, "duration"),
    ({"prompt": "a", "duration": "4"}, "duration"),
    ({"prompt": "a", "duration": 2.5}, "duration"),
    ({"prompt": "a", "duration": True}, "duration"),
    ({"prompt": "a", "resolution": "512"}, "resolution"),
    ({"prompt": "a", "resolution": "512x"}, "resolution"),
    ({"prompt": "a", "resolution": "abcxdef"}, "resolution"),
    ({"prompt": "a", "resolution": "500x500"}, "resolution"),
    ({"prompt": "a", "resolution": "0x0"}, "resolution"),
    ({"prompt": "a", "resolution": "4096x4096"}, "resolution"),
    ({"prompt": "a", "resolution": 512}, "resolution"),
    ({"prompt": "a", "seed": -1}, "seed"),
    ({"prompt": "a", "seed": 2**32}, "seed"),
    ({"prompt": "a", "seed": "7"}, "seed"),
    ({"prompt": "a", "num_inference_steps": 0}, "num_inference_steps"),
    ({"prompt": "a", "num_inference_steps": 1000}, "num_inference_steps"),
    ({"prompt": "a", "guidance_scale": 0}, "guidance_scale"),
    ({"prompt": "a", "guidance_scale": 99}, "guidance_scale"),
    ({"prompt": "a", "guidance_scale": "high"}, "guidance_scale"),
    ({"prompt": "a", "enhance_quality": "yes"}, "enhance_quality"),
    ({"template": "no-such-template"}, "template"),
    ({"prompt": "a", "variables": {"x": "y"}}, "variables"),
    ({"prompt": "a", "metadata": "post-1"}, "metadata"),
    ({"prompt": "a", "metadata": {"blob": "x" * 5000}}, "metadata"),
    ({"prompt": "a", "metadata": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "metadata"),
    ({"prompt": "a", "callback_url": "ftp://example.com/hook"}, "callback_url"),
    ({"prompt": "a", "callback_url": "http://127.0.0.1/hook"}, "callback_url"),
    ({"prompt": "a", "callback_url": "http://169.254.169.254/latest"}, "callback_url"),
    ({"prompt": "a", "callbackUrl": "http://example.com"}, "callbackUrl"),
    ({"prompt": "a", "callback_url": "http://example.com:99999/hook"}, "callback_url"),
    ({"prompt": "a", "callback_url": "http://[::1"}, "callback_url"),
    ({"prompt": "a", "callback_url": "http://100.64.0.1/hook"}, "callback_url"),
    ({"prompt": "a", "callback_url": "http://example.com/\x00"}, "callback_url"),
    ({"prompt": "a", "metadata": {"post": "nul\x00"}}, "metadata"),
]


@pytest.mark.parametrize(("body", "field"), BAD_INPUTS)
def test_bad_input_is_a_400_with_field_errors_and_creates_nothing(owner_api, body, field):
    error = assert_error(post(owner_api, body), 400, "validation_error")
    assert field in error["fields"], error
    assert all(isinstance(m, str) for m in error["fields"][field])
    assert VideoJob.objects.count() == 0


def test_every_problem_is_reported_in_one_answer(owner_api):
    """Wrong types, values out of range and unknown fields together: one round to fix them."""
    body = {"prompt": 5, "duration": 99, "resolution": "999999x1", "seed": -1, "colour": "red"}
    error = assert_error(post(owner_api, body), 400, "validation_error")
    assert list(error["fields"]) == ["colour", "prompt", "duration", "resolution", "seed"], error
    assert error["fields"]["prompt"] == ["Must be a string."]
    assert VideoJob.objects.count() == 0


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"a string"', "{", "null", ""])
def test_non_object_bodies_are_400(owner_api, raw):
    assert_error(post(owner_api, raw), 400)
    assert VideoJob.objects.count() == 0


def test_wrong_content_type_is_415(owner_api):
    response = owner_api.post("/api/generate", "prompt=a", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415)


def test_huge_body_is_413(owner_api):
    assert_error(post(owner_api, {"prompt": "a", "negative_prompt": "x" * 70000}), 413)
    assert VideoJob.objects.count() == 0


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer", "Basic YTpi", "Token "])
def test_missing_or_bad_token_is_401_with_bearer_challenge(anon_api, header, db):
    kwargs = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = post(anon_api, ARTICLE_PYTHON_BODY, **kwargs)
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "nope" not in response.content.decode()
    assert VideoJob.objects.count() == 0


def test_token_keyword_is_accepted_too(anon_api, owner):
    response = post(anon_api, ARTICLE_PYTHON_BODY, HTTP_AUTHORIZATION=f"Token {owner.token}")
    assert response.status_code == 200


def test_trailing_slash_is_tolerated(owner_api):
    response = owner_api.post("/api/generate/", json.dumps({"prompt": "a"}), content_type="application/json")
    assert response.status_code == 200


def test_idempotency_key_replays_and_conflicts(owner_api):
    first = post(owner_api, {"prompt": "a"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(owner_api, {"prompt": "a"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 200
    assert first.json()["task_id"] == again.json()["task_id"]
    assert VideoJob.objects.count() == 1
    conflict = post(owner_api, {"prompt": "b"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert_error(conflict, 409, "idempotency_conflict")
    assert VideoJob.objects.count() == 1


def test_idempotency_keys_are_per_user(owner_api, stranger_api):
    a = post(owner_api, {"prompt": "a"}, HTTP_IDEMPOTENCY_KEY="same").json()
    b = post(stranger_api, {"prompt": "a"}, HTTP_IDEMPOTENCY_KEY="same").json()
    assert a["task_id"] != b["task_id"]


def test_per_user_queue_cap_is_429_with_retry_after(owner_api, settings):
    settings.COGVIDEO_MAX_QUEUED_PER_USER = 2
    for _ in range(2):
        assert post(owner_api, {"prompt": "a"}).status_code == 200
    response = post(owner_api, {"prompt": "a"})
    assert_error(response, 429, "too_many_queued")
    assert int(response["Retry-After"]) > 0
    assert VideoJob.objects.filter(status=JobStatus.QUEUED).count() == 2


def test_global_queue_cap_is_503(owner_api, stranger_api, settings):
    settings.COGVIDEO_MAX_QUEUED_TOTAL = 1
    assert post(stranger_api, {"prompt": "a"}).status_code == 200
    response = post(owner_api, {"prompt": "a"})
    assert_error(response, 503, "queue_full")
    assert "Retry-After" in response


def test_template_variables_are_checked_like_prompts(owner_api):
    PromptTemplate.objects.create(slug="t", name="T", text="A {thing}")
    bad = post(owner_api, {"template": "t", "variables": {"thing": "nul\x00"}})
    assert_error(bad, 400, "validation_error")
    assert "variables" in bad.json()["error"]["fields"]
    PromptTemplate.objects.create(slug="long", name="Long", text="{a} {b} {c} {d} {e}")
    too_long = post(owner_api, {"template": "long", "variables": {k: "x" * 450 for k in "abcde"}})
    assert "variables" in assert_error(too_long, 400)["fields"]
    assert VideoJob.objects.count() == 0


def test_a_non_english_prompt_is_accepted_with_a_warning_from_the_start(owner_api):
    chinese = post(owner_api, {"prompt": "一只红色的狐狸在雪地里奔跑", "duration": 1, "resolution": "64x64"})
    assert chinese.status_code == 200
    warnings = chinese.json()["warnings"]
    assert any("looks mostly non-English" in warning for warning in warnings), warnings
    assert VideoJob.objects.get(pk=chinese.json()["task_id"]).warnings == warnings
    english = post(owner_api, {"prompt": "A red fox running through the snow", "duration": 1, "resolution": "64x64"})
    assert english.json()["warnings"] == []
