"""Failures inside one job: out of GPU memory, ffmpeg failing. Real engine, real torch errors."""

from __future__ import annotations

import stat

import imageio_ffmpeg
import pytest
import torch
from django.core.files.storage import default_storage

from tests.videos.factories import make_job
from videos import worker
from videos.generation import engine
from videos.models import JobStatus, Video


@pytest.fixture
def oom_on_first_calls():
    """Make the transformer raise torch's real CUDA OOM error on its first `n` forward calls."""
    eng = engine.get_engine()
    state = {"left": 0}

    def raise_oom(_module, _args):
        if state["left"] > 0:
            state["left"] -= 1
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    handle = eng.pipeline.transformer.register_forward_pre_hook(raise_oom)
    yield state
    handle.remove()
    eng.place("none")


def test_oom_retries_once_in_a_leaner_mode_and_says_so(owner, oom_on_first_calls):
    oom_on_first_calls["left"] = 1
    job = make_job(owner)
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.params["memory_mode"] == "model_offload"
    assert any("out of memory" in w and "model_offload" in w for w in job.warnings)


def test_second_oom_fails_with_advice(owner, oom_on_first_calls):
    oom_on_first_calls["left"] = 2
    job = make_job(owner)
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "out_of_memory"
    assert "smaller resolution" in job.error and "sequential_offload" in job.error
    assert not Video.objects.filter(job=job).exists()


@pytest.fixture
def broken_ffmpeg(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'simulated encoder crash' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    # imageio-ffmpeg reads this on every call: the real encoder path runs, with a binary
    # that fails like a crashing ffmpeg.
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    assert imageio_ffmpeg.get_ffmpeg_exe() == str(fake)


def test_ffmpeg_failure_fails_the_job_cleanly(owner, broken_ffmpeg, tmp_path, local_media):
    job = make_job(owner)
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "encoding_failed"
    assert "ffmpeg" in job.error
    assert not any(path.is_file() for path in (tmp_path / "media").rglob("*"))
    assert not default_storage.exists("videos") or not default_storage.listdir("videos")[1]
