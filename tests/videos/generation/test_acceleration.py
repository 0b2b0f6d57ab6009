"""The speed levers on CPU with the tiny model: every memory mode and cache method makes a
valid video; cache methods stay close to the uncached output while doing less transformer
work (counted with forward hooks); int8 quantization and torch.compile run for real."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import override_settings

from benchmarks.counters import count_transformer_work
from benchmarks.quality import psnr
from videos.generation.acceleration import AccelerationOptions
from videos.generation.engine import GenerationRequest, ModelUnavailable, load_engine
from videos.generation.memory import choose_memory_mode
from videos.generation.profiles import COGVIDEOX_2B

STEPS = 8  # enough steps that the caches' timestep windows cover several of them
REQUEST = GenerationRequest(
    prompt="a red fox running through snow",
    negative_prompt="",
    width=64,
    height=64,
    num_frames=9,
    num_inference_steps=STEPS,
    guidance_scale=6.0,
    seed=1234,
)
BLOCKS = 2  # the tiny transformer's depth
GUIDANCE_BATCH = 2  # conditional + unconditional rows per transformer call


def run(options: AccelerationOptions, memory_mode: str = "none"):
    engine = load_engine("tiny-random", memory_mode, "cpu", options)
    with count_transformer_work(engine.pipeline.transformer) as work:
        output = engine.generate(REQUEST)
    return engine, output, work


def assert_valid_video(frames) -> None:
    assert frames.shape == (9, 64, 64, 3) and frames.dtype == np.uint8
    assert 0 < frames.std()  # not a blank video


@pytest.fixture(scope="module")
def reference():
    _engine, output, work = run(AccelerationOptions(cache_method="off"))
    return output.frames, work


def test_uncached_run_evaluates_every_block_at_every_step(reference):
    frames, work = reference
    assert_valid_video(frames)
    full = STEPS * BLOCKS * GUIDANCE_BATCH
    assert (work.attention_rows, work.feedforward_rows) == (full, full)


# The tiny model's random weights move the first block's output more from step to step than
# trained weights do, so First Block Cache gets a threshold at which it skips here (0.1; the
# default 0.05 is meant for the real model and skips nothing on this one at 8 steps).
CACHED = {
    "pab": AccelerationOptions(cache_method="pab"),
    "fastercache": AccelerationOptions(cache_method="fastercache"),
    "firstblock": AccelerationOptions(cache_method="firstblock", firstblock_threshold=0.1),
}


@pytest.mark.parametrize("method", sorted(CACHED))
def test_cache_method_stays_close_with_less_transformer_work(method, reference, record_property):
    ref_frames, ref_work = reference
    engine, output, work = run(CACHED[method])
    assert engine.pipeline.transformer.is_cache_enabled
    assert_valid_video(output.frames)
    quality = psnr(ref_frames, output.frames)
    record_property("psnr_db", round(quality, 2))
    record_property("work", work.as_dict())
    print(f"{method}: PSNR {quality:.2f} dB vs uncached, work {work.as_dict()} vs {ref_work.as_dict()}")
    assert quality >= 30.0
    assert work.total < ref_work.total
    if method in ("pab", "fastercache"):
        assert work.attention_rows < ref_work.attention_rows  # attention reused across steps
    if method == "firstblock":
        assert work.feedforward_rows < ref_work.feedforward_rows  # whole blocks skipped


@pytest.mark.parametrize("mode", ["none", "model_offload", "sequential_offload", "auto"])
def test_every_memory_mode_makes_a_valid_video(mode, reference):
    engine, output, _work = run(AccelerationOptions(), memory_mode=mode)
    # On a CPU there is nowhere to offload to: the mode is recorded, `auto` picks `none`, and
    # the pixels are exactly the reference ones.
    assert engine.memory_mode == ("none" if mode == "auto" else mode)
    assert_valid_video(output.frames)
    assert np.array_equal(output.frames, reference[0])


def test_auto_memory_mode_picks_the_fastest_mode_that_fits():
    gib = 2**30
    assert choose_memory_mode(COGVIDEOX_2B, "cuda", free_bytes=40 * gib) == "none"
    assert choose_memory_mode(COGVIDEOX_2B, "cuda", free_bytes=12 * gib) == "model_offload"
    assert choose_memory_mode(COGVIDEOX_2B, "cuda", free_bytes=6 * gib) == "sequential_offload"


def test_int8_weight_only_quantization(reference, record_property):
    engine, output, _work = run(AccelerationOptions(quantize="int8wo"))
    weight = engine.pipeline.transformer.transformer_blocks[0].ff.net[2].weight
    assert "Int8" in type(weight).__name__  # torchao's quantized tensor, not a float weight
    assert_valid_video(output.frames)
    quality = psnr(reference[0], output.frames)
    record_property("psnr_db", round(quality, 2))
    print(f"int8wo: PSNR {quality:.2f} dB vs float32")
    assert 25.0 <= quality < float("inf")  # changed, but only a little


def test_compile_is_warmed_up_when_the_engine_loads(reference):
    import torch._dynamo

    torch._dynamo.reset()
    options = AccelerationOptions(compile=True, warmup_size=(64, 64, 9))
    engine = load_engine("tiny-random", "none", "cpu", options)
    assert engine.acceleration.warmup_seconds > 0
    compiled_frames = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    assert compiled_frames > 0
    output = engine.generate(REQUEST)
    # The job itself compiled nothing: the warm-up at load time already did it.
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == compiled_frames
    assert_valid_video(output.frames)
    assert psnr(reference[0], output.frames) >= 40.0
    torch._dynamo.reset()


def test_cache_state_does_not_leak_from_a_failed_run():
    engine = load_engine("tiny-random", "none", "cpu", AccelerationOptions(cache_method="pab"))
    clean = engine.generate(REQUEST).frames

    def fail_midway(step: int, _total: int) -> None:
        if step == 3:
            raise RuntimeError("worker trouble")

    with pytest.raises(RuntimeError):
        engine.generate(REQUEST, on_step=fail_midway)
    assert np.array_equal(engine.generate(REQUEST).frames, clean)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("COGVIDEO_CACHE_METHOD", "turbo", "COGVIDEO_CACHE_METHOD='turbo' is not one of off, pab, fastercache"),
        ("COGVIDEO_QUANTIZE", "int3", "COGVIDEO_QUANTIZE='int3' is not one of none, int8wo"),
    ],
)
def test_unknown_lever_settings_fail_with_a_clear_error(setting, value, message):
    with override_settings(**{setting: value}), pytest.raises(ModelUnavailable, match=message.replace("(", r"\(")):
        load_engine("tiny-random", "none", "cpu")


def test_worker_applies_the_lever_settings_and_records_them_on_the_job(owner):
    from tests.videos.factories import make_job
    from videos import worker
    from videos.generation import engine as engine_module
    from videos.models import JobStatus

    saved = engine_module._engine
    engine_module._engine = None  # the worker loads a fresh engine with these settings
    try:
        with override_settings(COGVIDEO_CACHE_METHOD="firstblock"):
            job = make_job(owner, seed=3)
            assert worker.run_next_job() == str(job.id)
        assert engine_module._engine.pipeline.transformer.is_cache_enabled
    finally:
        engine_module._engine = saved
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert (job.params["cache_method"], job.params["compile"], job.params["quantize"]) == ("firstblock", False, "none")
