"""POST /api/generate: the delivered size, fit, pad colour, frame rate and formats, resolved
against the model profile (render_resolution beside resolution); bad values are a 400 that
creates nothing; GET /api/models says what may be asked."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from videos.job_specs import parse_generate_request
from videos.models import VideoJob
from videos.reuse import reuse_key


def post(client, body):
    return client.post("/api/generate", json.dumps(body), content_type="application/json")


BASE = {"prompt": "a lighthouse at dusk", "duration": 1, "seed": 5}


@override_settings(COGVIDEO_PROFILE="cogvideox-2b")
def test_2b_renders_its_trained_size_and_delivers_the_asked_one(owner_api):
    params = post(owner_api, {**BASE, "resolution": "512x512"}).json()["params"]
    assert (params["render_resolution"], params["resolution"], params["fit"]) == ("720x480", "512x512", "crop")
    assert (params["fps"], params["render_fps"], params["num_frames"]) == (8, 8, 9)
    assert params["pad_color"] is None and params["formats"] == ["mp4"]
    native = post(owner_api, {**BASE, "resolution": "720x480", "fps": 24}).json()["params"]
    assert (native["render_resolution"], native["resolution"], native["fps"]) == ("720x480", "720x480", 24)
    assert native["num_frames"] == 9  # rendered at 8 fps; 24 fps is made by the encoder


def test_pad_colour_and_formats_are_normalised(owner_api):
    params = post(
        owner_api, {**BASE, "resolution": "128x64", "fit": "pad", "pad_color": "#FFaa00", "formats": ["webm"]}
    ).json()["params"]
    assert (params["fit"], params["pad_color"], params["formats"]) == ("pad", "#ffaa00", ["mp4", "webm"])
    assert post(owner_api, {**BASE, "fit": "pad"}).json()["params"]["pad_color"] == "#000000"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fit", "zoom", "Must be one of crop, pad, stretch."),
        ("fps", 12, "Must be one of 8, 16, 24, 30 for tiny-random."),
        ("fps", "24", "Must be a whole number (JSON integer)."),
        ("fps", 60, "Must be one of 8, 16, 24, 30 for tiny-random."),
        ("pad_color", "#12345", 'Use a colour "#RRGGBB" (for example "#000000"), "black" or "white".'),
        ("pad_color", "rgb(1,2,3)", 'Use a colour "#RRGGBB" (for example "#000000"), "black" or "white".'),
        ("formats", ["mp4", "gif"], "Unknown format gif; the formats are mp4, webm."),
        ("formats", "webm", "Must be a list of formats: mp4, webm."),
    ],
)
def test_bad_delivery_values_are_a_400_that_creates_nothing(owner_api, field, value, message):
    response = post(owner_api, {**BASE, "fit": "pad", field: value})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {field: [message]}
    assert not VideoJob.objects.exists()


def test_the_reuse_key_includes_fit_fps_and_formats(db):
    def key(**fields):
        return reuse_key(parse_generate_request({**BASE, "resolution": "128x64", **fields}))

    base = key()
    assert key() == base
    variants = [key(fit="pad"), key(fit="pad", pad_color="white"), key(fit="stretch"), key(fps=24),
                key(formats=["mp4", "webm"])]  # fmt: skip
    assert len({base, *variants}) == 1 + len(variants)
    # A pad colour without fit "pad" changes nothing in the file, nor in the key.
    assert key(pad_color="white") == base
    with override_settings(COGVIDEO_INTERPOLATION="blend"):
        assert key(fps=24) != variants[3] and key() == base  # the mode counts only when interpolating


@override_settings(COGVIDEO_PROFILE="cogvideox1.5-5b")
def test_models_lists_what_each_served_model_renders_and_delivers(owner_api, anon_api):
    assert anon_api.get("/api/models").status_code == 401
    [model] = owner_api.get("/api/models").json()["models"]
    assert model["id"] == "tiny-random" and model["profile"] == "cogvideox1.5-5b"
    assert model["trained"] == {
        "sizes": [],
        "bounds": {"short_side": [768, 768], "long_side": [768, 1360], "multiple": 16},
    }
    assert (model["native_fps"], model["fps"], model["durations"]) == (16, [16, 24, 30], [5, 10])
    assert model["fits"] == ["crop", "pad", "stretch"] and model["formats"] == ["mp4", "webm"]
    with override_settings(COGVIDEO_PROFILE="cogvideox-2b"):
        [model] = owner_api.get("/api/models").json()["models"]
    assert model["trained"] == {"sizes": ["720x480"], "bounds": None} and model["max_duration"] == 6
