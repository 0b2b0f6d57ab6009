"""ETAs cover every stage: the decode and encode still to come are estimated from the model's
measured runs (selectors.later_stage_seconds), scaled by size, and added to the ETA the
worker writes while it denoises and decodes."""

from __future__ import annotations

import pytest

from tests.videos.factories import make_job
from videos import selectors, services, worker
from videos.models import JobStatus, VideoJob


def completed_run(owner, **overrides) -> VideoJob:
    job = make_job(owner, **overrides)
    assert worker.run_next_job() == str(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    return job


def test_no_measured_run_no_estimate(owner):
    job = make_job(owner)
    assert selectors.later_stage_seconds(job.model, job.params) == {}


def test_later_stages_are_the_measured_ones_scaled_by_size(owner):
    measured = completed_run(owner, seed=1)
    timings = measured.params["timings"]
    same = make_job(owner, seed=2)
    estimate = selectors.later_stage_seconds(same.model, same.params)
    assert estimate == {
        "decoding": pytest.approx(timings["decode_seconds"]),
        "encoding": pytest.approx(timings["encode_seconds"]),
    }
    # Twice the pixels (128x64 from the same trained size: rendered the same, delivered twice).
    wider = make_job(owner, resolution="128x64", seed=3)
    rendered_ratio = (wider.params["render_width"] * wider.params["render_height"]) / (64 * 64)
    scaled = selectors.later_stage_seconds(wider.model, wider.params)
    assert scaled["decoding"] == pytest.approx(timings["decode_seconds"] * rendered_ratio)
    assert scaled["encoding"] == pytest.approx(timings["encode_seconds"] * 2)
    # Another model's runs say nothing about this one.
    assert selectors.later_stage_seconds("tiny-random-i2v", same.params) == {}


def test_the_eta_while_denoising_includes_the_decode_and_encode_to_come(owner):
    job = make_job(owner)
    claimed = services.claim_next_job("test-worker")
    assert claimed.pk == job.pk
    reporter = worker._ProgressReporter(claimed, {"decoding": 30.0, "encoding": 5.0})
    reporter.on_stage("denoising")
    reporter.denoise_started -= 4.0  # 4 s into denoising, 1 of 2 steps done: 4 s of it left
    reporter.last_write = 0.0  # the write is due (they are throttled)
    reporter.on_step(1, 2)
    claimed.refresh_from_db()
    assert claimed.stage == "denoising" and claimed.eta_seconds == pytest.approx(4.0 + 30.0 + 5.0, abs=0.5)
    reporter.on_stage("decoding")
    reporter.decode_started -= 10.0  # 10 s into decoding, half the chunks done
    reporter.last_write = 0.0
    reporter.on_decode(2, 4)
    claimed.refresh_from_db()
    assert claimed.stage == "decoding" and claimed.eta_seconds == pytest.approx(10.0 + 5.0, abs=0.5)
