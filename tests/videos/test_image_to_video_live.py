"""Image-to-video and several models on one service, through the real worker (issue 14).

One service for the module serves three models: tiny-random (text) and tiny-random-i2v
(image) each with its own worker cluster, and THUDM/CogVideoX-5b-I2V, configured but with no
worker started (its jobs must wait and say so). Jobs are 1 s at 64x64, one step.

The tiny I2V model's weights are random, so its first frame cannot look like the input (that
takes training). What can be proven, and is: the image reaches the pipeline and conditions
it (same prompt and seed, another image: another video), the input is fitted as recorded, and
the same image again is answered from the same video (the digest is in the reuse key)."""

from __future__ import annotations

import signal

import pytest

from tests.support.images import ImageServer, data_url, solid_png
from tests.support.live import LiveService
from tests.support.waiting import eventually

pytestmark = pytest.mark.live

UNSTARTED = "THUDM/CogVideoX-5b-I2V"


@pytest.fixture(scope="module")
def service(session_dir):
    models = ["tiny-random", "tiny-random-i2v", UNSTARTED]
    env = {"COGVIDEO_WORKER_MODELS": ",".join(models)}
    service = LiveService(session_dir / "live-i2v", extra_env=env, web=False, cluster=False).start()  # migrated
    # The workers load torch and their models while the web server starts (the slow part).
    service.start_cluster()
    service.start_model_cluster("tiny-random-i2v")
    service.processes.start_web(f"127.0.0.1:{service.port}", workers=2, timeout=60)
    service.wait_until_up()
    yield service
    # Both GPU clusters stop at once (each finishes its running job), then the rest in order.
    clusters = [child for name, child in service.processes.children.items() if name.startswith("cluster")]
    for child in clusters:
        child.send_signal(signal.SIGTERM)
    for child in clusters:  # one SIGTERM each: stop() below finds them exited
        child.wait(60)
    service.stop()


@pytest.fixture(scope="module")
def tokens(service) -> dict:
    return {
        "owner": service.create_token("iris"),
        "stranger": service.create_token("ivan"),
    }


@pytest.fixture(scope="module")
def owner(service, tokens):
    with service.client(tokens["owner"]) as client:
        yield client


def image_job(image: str | None = None, **overrides) -> dict:
    body = {"prompt": "the picture moves", "model": "tiny-random-i2v", "duration": 1, "num_inference_steps": 1}
    if image is not None:
        body["image"] = image
    return {**body, **overrides}


def submit(client, body: dict) -> dict:
    response = client.post("/api/generate", json=body)
    assert response.status_code == 200, response.text
    return response.json()


YELLOW_JPEG = solid_png((250, 200, 0), size=(80, 60), fmt="JPEG")


def submit_form(client, fields: dict, image: bytes) -> dict:
    """multipart/form-data: the fields as text, the image as a file part."""
    form = {key: str(value) for key, value in fields.items()}
    response = client.post("/api/generate", data=form, files={"image": ("photo.jpg", image, "image/jpeg")})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def image_jobs(service, owner) -> dict:
    """Red, blue (same prompt and seed), green by image_url, and red again: all completed."""
    red, blue = solid_png((255, 0, 0), size=(96, 64)), solid_png((0, 0, 255), size=(96, 64))
    with ImageServer({"/green.png": solid_png((0, 200, 0), size=(64, 96))}) as server:
        first = [
            submit(owner, image_job(data_url(red), seed=11)),
            submit(owner, image_job(data_url(blue), seed=11)),
            submit(owner, image_job(image_url=server.url + "/green.png", fit="pad", seed=11)),
            submit_form(owner, image_job(seed=11), YELLOW_JPEG),
        ]
        done = {
            name: service.wait_for(owner, job["task_id"])
            for name, job in zip(("red", "blue", "green", "yellow"), first, strict=True)
        }
    done["red_again"] = service.wait_for(owner, submit(owner, image_job(data_url(red), seed=11))["task_id"])
    return {"bytes": {"red": red}, **done}


def test_image_jobs_complete_with_their_input_fitted_to_the_trained_size(image_jobs):
    for name in ("red", "blue", "green", "yellow"):
        job = image_jobs[name]
        assert job["status"] == "completed", job
        assert job["model"] == "tiny-random-i2v"
        assert job["params"]["render_resolution"] == "64x64" == job["params"]["image"]["fitted_to"]
        assert (job["video"]["width"], job["video"]["height"], job["video"]["frames"]) == (64, 64, 9)
    assert image_jobs["green"]["params"]["image"] | {"sha256": None} == {
        "sha256": None, "format": "png", "width": 64, "height": 96, "bytes": len(solid_png((0, 200, 0), size=(64, 96))),
        "source": "image_url", "fitted_to": "64x64", "fit": "pad",
    }  # fmt: skip
    uploaded = image_jobs["yellow"]["params"]["image"]
    assert (uploaded["source"], uploaded["format"], uploaded["bytes"]) == ("upload", "jpeg", len(YELLOW_JPEG))


def test_an_upload_of_a_type_not_taken_is_415_over_http(owner):
    gif = solid_png(fmt="GIF")
    response = owner.post("/api/generate", data={"prompt": "x", "model": "tiny-random-i2v"}, files={"image": gif})
    assert response.status_code == 415, response.text
    assert "not a PNG, JPEG or WebP" in response.json()["error"]["fields"]["image"][0]


def test_the_image_conditions_the_video_and_is_part_of_the_reuse_key(image_jobs):
    red, blue, again = image_jobs["red"], image_jobs["blue"], image_jobs["red_again"]
    # Same prompt, seed and steps: only the image differs, and so does the video.
    assert red["video_id"] != blue["video_id"]
    assert red["video"]["sha256"] != blue["video"]["sha256"]
    # The same image again: the same video, no second run.
    assert again["video_id"] == red["video_id"] and "reused" in " ".join(again["warnings"])


def test_the_input_image_is_its_owners_only(service, tokens, owner, image_jobs):
    red = image_jobs["red"]
    mine = owner.get(red["input_image_url"])
    assert mine.status_code == 200 and mine.content == image_jobs["bytes"]["red"]
    assert mine.headers["content-type"] == "image/png"
    source = owner.get(f"/api/download/{red['video_id']}", params={"variant": "source"})
    assert source.status_code == 200 and source.content == image_jobs["bytes"]["red"]
    with service.client(tokens["stranger"]) as stranger:
        assert stranger.get(red["input_image_url"]).status_code == 404
        assert stranger.get(f"/api/download/{red['video_id']}", params={"variant": "source"}).status_code == 404


def test_text_and_image_jobs_run_on_their_own_workers(service, owner, image_jobs):
    text = service.wait_for(owner, submit(owner, {"prompt": "a fox", "duration": 1, "resolution": "64x64",
                                                  "num_inference_steps": 1})["task_id"])  # fmt: skip
    assert text["status"] == "completed" and text["model"] == "tiny-random"

    # (Without staff rights: worker names are hidden, their models and run counts are not.)
    def system_status() -> dict:
        return owner.get("/api/system/status").json()

    def runs_by_model() -> dict:
        return {worker["model"]: worker["pipeline_runs"] for worker in system_status()["workers"]["list"]}

    # Each worker ran only its model's jobs: one text job, four image jobs (the fifth was
    # reused). The counts come with each worker's next heartbeat.
    expected = {"tiny-random": 1, "tiny-random-i2v": 4}
    eventually(lambda: runs_by_model() == expected, timeout=10, what=f"pipeline runs {expected}")
    status = system_status()
    models = {entry["id"]: entry for entry in owner.get("/api/models").json()["models"]}
    assert status["workers"]["by_model"]["tiny-random"]["alive"] == 1
    assert status["workers"]["by_model"]["tiny-random-i2v"]["alive"] == 1
    assert status["workers"]["by_model"][UNSTARTED]["alive"] == 0
    assert (models["tiny-random"]["task"], models["tiny-random"]["served_now"], models["tiny-random"]["default"]) == (
        "text-to-video", True, True)  # fmt: skip
    assert (models["tiny-random-i2v"]["task"], models["tiny-random-i2v"]["served_now"]) == ("image-to-video", True)
    assert models[UNSTARTED]["served_now"] is False and models[UNSTARTED]["trained"]["sizes"] == ["720x480"]


def test_a_model_no_worker_serves_is_refused(owner):
    before = owner.get("/api/tasks").json()
    response = owner.post("/api/generate", json={"prompt": "a fox", "model": "cogvideox-2b"})
    assert response.status_code == 400
    assert "No worker here serves 'cogvideox-2b'" in response.json()["error"]["fields"]["model"][0]
    assert owner.get("/api/tasks").json() == before


def test_a_served_model_without_a_live_worker_waits_and_says_for_what(owner):
    body = {"prompt": "the picture moves", "model": "cogvideox-5b-i2v", "image": data_url(solid_png(size=(72, 48)))}
    job = submit(owner, {**body, "duration": 1})
    assert job["status"] == "queued" and job["params"]["render_resolution"] == "720x480"
    assert job["waiting_for"] == f"a worker for {UNSTARTED}" and job["queue_position"] == 1
    # The other models' workers do not take it: it is still queued after they took a new job.
    text = submit(owner, {"prompt": "a fox", "duration": 1, "resolution": "64x64", "num_inference_steps": 1})
    eventually(lambda: owner.get(f"/api/status/{text['task_id']}").json()["status"] == "completed", what="text job")
    again = owner.get(f"/api/status/{job['task_id']}").json()
    assert again["status"] == "queued" and again["waiting_for"] == f"a worker for {UNSTARTED}"
    assert owner.post(f"/api/cancel/{job['task_id']}").json()["status"] == "canceled"
