"""launch.py --model A --model B: A is the default model, both are served, and each gets its
own GPU queue (the one its cluster works). The processes themselves are started by the same
launcher calls the image-to-video live tests use (tests/videos/test_image_to_video_live.py)."""

from __future__ import annotations

import os

import launch
from cogvideo_site.launcher import model_queue_name


def test_repeated_models_become_the_default_and_the_served_list(monkeypatch):
    for name in ("COGVIDEO_MODEL", "COGVIDEO_WORKER_MODELS", "DJANGO_SETTINGS_MODULE"):
        monkeypatch.setenv(name, "unchanged")  # restored after the test, whatever launch sets
    launch.configure_environment(launch.parse_args(["--model", "tiny-random", "--model", "tiny-random-i2v"]))
    assert os.environ["COGVIDEO_MODEL"] == "tiny-random"
    assert os.environ["COGVIDEO_WORKER_MODELS"] == "tiny-random,tiny-random-i2v"
    monkeypatch.setenv("COGVIDEO_WORKER_MODELS", "unchanged")
    launch.configure_environment(launch.parse_args(["--model", "tiny-random"]))
    assert os.environ["COGVIDEO_WORKER_MODELS"] == "unchanged"  # one model: the default alone


def test_each_served_model_has_its_own_queue():
    assert model_queue_name("cogvideo", "tiny-random", "tiny-random") == "cogvideo"
    assert model_queue_name("cogvideo", "tiny-random-i2v", "tiny-random") == "cogvideo-tiny-random-i2v"
    hub = model_queue_name("cogvideo", "THUDM/CogVideoX-5b-I2V", "tiny-random")
    assert hub.startswith("cogvideo-thudm-cogvideox-5b-i2v-")
    # Two local folders of one name get two queues.
    assert model_queue_name("q", "/a/CogVideoX-5b-I2V", "x") != model_queue_name("q", "/b/CogVideoX-5b-I2V", "x")
