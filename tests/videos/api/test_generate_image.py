"""POST /api/generate with an image (issue 14), in process: the model field, the image as a
data URL or an image_url (through the real egress code to a local server), every hostile
image a clear 400 that creates nothing, and the input image for its owner only."""

from __future__ import annotations

import hashlib
import json

import pytest

from cogvideo_site.launcher import model_queue_name
from tests.support.images import ImageServer, data_url, noisy_png, png_header_only, solid_png
from tests.support.media import stored_names
from videos.models import VideoJob

TWO_MODELS = ["tiny-random", "tiny-random-i2v"]


_files_before: set[str] = set()


@pytest.fixture(autouse=True)
def two_models(settings):
    settings.COGVIDEO_WORKER_MODELS = TWO_MODELS
    settings.COGVIDEO_MODEL_QUEUES = {m: model_queue_name("cogvideo", m, "tiny-random") for m in TWO_MODELS}
    # Files of earlier tests stay in the shared media folder (only the database rolls back).
    _files_before.clear()
    _files_before.update(stored_inputs(new_only=False))


def post(client, body):
    return client.post("/api/generate", json.dumps(body), content_type="application/json")


def image_job(**overrides) -> dict:
    body = {"prompt": "the picture moves", "model": "tiny-random-i2v", "duration": 1, "num_inference_steps": 1}
    body.update(overrides)
    return body


def stored_inputs(*, new_only: bool = True) -> list[str]:
    """Input images stored since the test began (in a media folder or an object store)."""
    return [name for name in stored_names("inputs") if not new_only or name not in _files_before]


def refused(response, field: str, words: str, status: int = 400) -> None:
    assert response.status_code == status, response.content
    messages = " ".join(response.json()["error"]["fields"][field])
    assert words in messages, messages
    assert VideoJob.objects.count() == 0
    assert stored_inputs() == []


def test_a_data_url_image_makes_an_image_job_with_its_fit_recorded(owner_api, stranger_api, owner):
    content = solid_png((0, 128, 255), size=(96, 64))
    response = post(owner_api, image_job(image=data_url(content)))
    assert response.status_code == 200, response.content
    body = response.json()
    job = VideoJob.objects.get(pk=body["task_id"])
    assert job.model == "tiny-random-i2v" and body["model"] == "tiny-random-i2v"
    image = body["params"]["image"]
    assert (image["format"], image["width"], image["height"], image["source"]) == ("png", 96, 64, "data_url")
    assert (image["fitted_to"], image["fit"]) == ("64x64", "crop")  # the tiny I2V model's trained size
    assert body["params"]["render_resolution"] == "64x64"
    # The input image: to its owner as given, to anyone else the same 404 as a missing id.
    assert body["input_image_url"].endswith(f"/api/tasks/{job.id}/image")
    mine = owner_api.get(f"/api/tasks/{job.id}/image")
    assert mine.status_code == 200 and mine["Content-Type"] == "image/png"
    assert b"".join(mine.streaming_content) == content
    assert stranger_api.get(f"/api/tasks/{job.id}/image").status_code == 404
    assert stranger_api.get(f"/api/status/{job.id}").status_code == 404


def test_the_model_and_the_image_fields_must_fit_each_other(owner_api):
    response = post(owner_api, {"prompt": "a fox", "model": "cogvideox-5b", "duration": 1})
    refused(response, "model", "No worker here serves 'cogvideox-5b'; this service serves tiny-random, tiny-random-i2v")
    refused(post(owner_api, {"prompt": "a fox", "image": data_url(solid_png())}), "image", "text-to-video model")
    refused(post(owner_api, image_job()), "image", "image-to-video model: give an image")
    both = image_job(image=data_url(solid_png()), image_url="http://example.com/a.png")
    refused(post(owner_api, both), "image", "not both")
    # A model by its id or profile name, in any case.
    response = post(owner_api, {"prompt": "a fox", "model": "TINY-RANDOM", "duration": 1, "resolution": "64x64"})
    assert response.status_code == 200 and response.json()["model"] == "tiny-random"


HOSTILE = {
    "not an image": (b"plain text, not a picture", "is not a PNG, JPEG or WebP image"),
    "a GIF": (solid_png(fmt="GIF"), "is not a PNG, JPEG or WebP image"),  # a real image, of a type not taken
    "truncated": (solid_png(size=(320, 240))[:200], "truncated or corrupt"),
    "1x1": (solid_png(size=(1, 1)), "at least 16 pixels"),
    "a bomb by our limit (40 MP)": (png_header_only(8000, 6000), "48000000 pixels"),
    "a bomb by Pillow's own": (png_header_only(50000, 50000), "too many pixels"),
}


def test_hostile_images_are_refused_and_create_nothing(owner_api, settings):
    for content, words in HOSTILE.values():
        status = 415 if "not a PNG" in words else 400  # a type we do not take; else a bad image
        refused(post(owner_api, image_job(image=data_url(content))), "image", words, status)
        refused(post_form(owner_api, image_job(image=upload(content))), "image", words, status)
    refused(post(owner_api, image_job(image="data:image/png,not-base64")), "image", "base64 data URL")
    settings.COGVIDEO_MAX_IMAGE_BYTES = 10_000
    too_big = noisy_png((96, 96))
    refused(post(owner_api, image_job(image=data_url(too_big))), "image", "larger than 10000 bytes", 413)
    refused(post_form(owner_api, image_job(image=upload(too_big))), "image", "larger than 10000 bytes", 413)
    # The image is judged once the rest is good: another field's error is a plain 400 first.
    both_wrong = post_form(owner_api, image_job(image=upload(too_big), duration="99"))
    assert both_wrong.status_code == 400 and set(both_wrong.json()["error"]["fields"]) == {"duration"}


def upload(content: bytes, name: str = "picture.png", content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def post_form(client, fields: dict, **headers):
    """A multipart/form-data POST, as a browser, curl -F or PHP's CURLFile sends one."""
    form = {key: value if hasattr(value, "read") else str(value) for key, value in fields.items()}
    return client.post("/api/generate", form, format="multipart", headers=headers)


def test_a_form_upload_makes_an_image_job_with_typed_fields(owner_api, stranger_api):
    jpeg = solid_png((250, 200, 0), size=(80, 60), fmt="JPEG")

    def fields(picture: bytes = jpeg) -> dict:
        # The declared name and type are wrong on purpose: the bytes decide.
        upload_ = upload(picture, "photo.png", "image/png")
        return image_job(image=upload_, seed=5, fit="pad", enhance_quality="false", metadata='{"post_id": 17}')

    response = post_form(owner_api, fields(), **{"Idempotency-Key": "form-1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["params"]["image"] | {"sha256": None} == {
        "sha256": None, "format": "jpeg", "width": 80, "height": 60, "bytes": len(jpeg), "source": "upload",
        "fitted_to": "64x64", "fit": "pad",
    }  # fmt: skip
    assert body["params"]["seed"] == 5 and body["metadata"] == {"post_id": 17}
    job = VideoJob.objects.get(pk=body["task_id"])
    assert job.source_image.read() == jpeg and job.params["image_sha256"] == hashlib.sha256(jpeg).hexdigest()
    assert owner_api.get(f"/api/tasks/{job.id}/image")["Content-Type"] == "image/jpeg"
    assert stranger_api.get(f"/api/tasks/{job.id}/image").status_code == 404
    # The same form under the same key: the same job; another image under it: a conflict.
    again = post_form(owner_api, fields(), **{"Idempotency-Key": "form-1"})
    assert again.status_code == 200 and again.json()["task_id"] == body["task_id"]
    other = solid_png((0, 0, 0), size=(80, 60))
    conflict = post_form(owner_api, fields(other), **{"Idempotency-Key": "form-1"})
    assert conflict.status_code == 409, conflict.content
    assert VideoJob.objects.count() == 1


def test_a_form_says_what_is_wrong_with_its_fields(owner_api):
    png = solid_png()
    typed = post_form(owner_api, image_job(image=upload(png), duration="one", metadata="[1"))
    assert typed.status_code == 400
    fields = typed.json()["error"]["fields"]
    assert "whole number" in fields["duration"][0] and fields["metadata"]
    stray = post_form(owner_api, {**image_job(image=upload(png)), "poster": upload(png)})
    refused(stray, "poster", "Only the image field takes a file")
    twice = owner_api.post("/api/generate", {**image_job(), "image": [upload(png), upload(png)]}, format="multipart")
    refused(twice, "image", "Give one image")
    # A text model given a file: the same message as for a data URL.
    refused(post_form(owner_api, {"prompt": "a fox", "image": upload(png)}), "image", "text-to-video model")


def test_image_url_is_fetched_through_egress_and_judged_by_its_bytes(owner_api, settings):
    green = solid_png((0, 200, 0), size=(64, 64))
    with ImageServer({"/green.png": green, "/fake.png": b"<html>not an image</html>"}) as server:
        # A private address is refused before anything is fetched (the default policy).
        refused(post(owner_api, image_job(image_url=server.url + "/green.png")), "image_url", "loopback")
        assert server.hits == []
        settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = True  # the operator allows the local server
        refused(
            post(owner_api, image_job(image_url=server.url + "/redirect")), "image_url", "redirects are not followed"
        )
        fake = post(owner_api, image_job(image_url=server.url + "/fake.png"))
        refused(fake, "image_url", "not a PNG, JPEG or WebP", 415)
        assert fake.json()["error"]["code"] == "unsupported_media_type"
        response = post(owner_api, image_job(image_url=server.url + "/green.png", fit="pad"))
    assert response.status_code == 200, response.content
    params = response.json()["params"]
    assert params["image"]["source"] == "image_url" and params["image"]["fit"] == "pad"
    job = VideoJob.objects.get()
    assert job.source_image.read() == green
    assert server.hits == ["/redirect", "/fake.png", "/green.png"]  # the redirect's target never asked


def test_the_reuse_key_includes_the_image_and_only_an_image_may_pass_the_body_limit(owner_api, settings):
    red, blue = data_url(solid_png((255, 0, 0))), data_url(solid_png((0, 0, 255)))
    keys = [VideoJob.objects.get(pk=post(owner_api, image_job(image=image, seed=7)).json()["task_id"]).reuse_key
            for image in (red, blue, red)]  # fmt: skip
    assert keys[0] != keys[1] and keys[0] == keys[2]
    big = data_url(noisy_png((160, 160)))  # about 100 KB: above COGVIDEO_MAX_BODY_BYTES (64 KB)
    assert len(big) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert post(owner_api, image_job(image=big)).status_code == 200
    padded = image_job(image=red, negative_prompt="x" * 1000, metadata={"pad": big[:70000]})
    assert post(owner_api, padded).status_code == 413  # the rest of the body keeps its limit
    response = owner_api.post("/api/cancel/x", json.dumps({"pad": big}), content_type="application/json")
    assert response.status_code == 413


def test_the_model_listing_says_what_image_an_image_model_takes(owner_api, settings):
    settings.COGVIDEO_MAX_IMAGE_BYTES = 5_000_000
    models = {entry["id"]: entry for entry in owner_api.get("/api/models").json()["models"]}
    assert models["tiny-random"]["image_limits"] is None
    assert models["tiny-random-i2v"]["image_limits"] == {
        "types": ["image/png", "image/jpeg", "image/webp"],
        "max_bytes": 5_000_000,
        "max_pixels": settings.COGVIDEO_MAX_IMAGE_PIXELS,
        "min_side": settings.COGVIDEO_MIN_IMAGE_SIDE,
    }
