"""Speed levers applied to a loaded pipeline: a diffusers cache method, torch.compile, and
torchao int8 weight-only quantization.

cache method  off          every step runs the whole transformer (the reference output)
              pab          Pyramid Attention Broadcast: attention outputs are reused for the
                           next step in the middle of the schedule (~1.3x published on GPU)
              fastercache  FasterCache: attention reuse plus skipping the unconditional half
                           of the guidance batch on some steps (~1.5x published)
              firstblock   First Block Cache: when the first block's output barely changed
                           since the last step, the remaining blocks are skipped
compile       torch.compile of the transformer, warmed up once when the engine loads, so the
              first job does not pay the compilation
quantize      none | int8wo: torchao int8 weight-only quantization of the transformer's
              linear layers (about half the transformer's fp16 weight memory, for small GPUs)

All three change the pixels a little (compile the least), so the same-request reuse key
(videos/reuse.py) includes the cache method and the quantization. Like the rest of the
engine, torch and diffusers are imported inside functions: the web process imports this
module only for its constants.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

CACHE_METHODS = ("off", "pab", "fastercache", "firstblock")
QUANTIZE_MODES = ("none", "int8wo")
# A small first-block threshold keeps the output close to the uncached one on real weights
# (diffusers' default is 0.05; ParaAttention suggests 0.05-0.1 for video models).
FIRST_BLOCK_THRESHOLD = 0.05


class AccelerationError(ValueError):
    """A setting names a lever that does not exist, or one that cannot run here."""


@dataclass(frozen=True)
class AccelerationOptions:
    cache_method: str = "off"
    compile: bool = False
    quantize: str = "none"
    # (width, height, frames) for the compile warm-up; None: the model's native size and
    # longest video, the shape most jobs have. The benchmark sets its own size.
    warmup_size: tuple[int, int, int] | None = None
    # First Block Cache: skip the remaining blocks while the first block's output changed by
    # less than this (relative mean absolute difference) since the last computed step.
    firstblock_threshold: float = FIRST_BLOCK_THRESHOLD

    def __post_init__(self) -> None:
        if self.cache_method not in CACHE_METHODS:
            raise AccelerationError(
                f"COGVIDEO_CACHE_METHOD={self.cache_method!r} is not one of {', '.join(CACHE_METHODS)}"
            )
        if self.quantize not in QUANTIZE_MODES:
            raise AccelerationError(f"COGVIDEO_QUANTIZE={self.quantize!r} is not one of {', '.join(QUANTIZE_MODES)}")

    @classmethod
    def from_settings(cls) -> AccelerationOptions:
        return cls(
            cache_method=settings.COGVIDEO_CACHE_METHOD or "off",
            compile=bool(settings.COGVIDEO_COMPILE),
            quantize=settings.COGVIDEO_QUANTIZE or "none",
        )

    @property
    def label(self) -> str:
        parts = [f"cache={self.cache_method}"]
        if self.compile:
            parts.append("compile")
        if self.quantize != "none":
            parts.append(self.quantize)
        return ",".join(parts)


@dataclass
class AppliedAcceleration:
    """What was applied to an engine, and what it cost at load time."""

    options: AccelerationOptions
    quantize_seconds: float = 0.0
    warmup_seconds: float = 0.0


def cache_config(method: str, pipeline: Any, *, firstblock_threshold: float = FIRST_BLOCK_THRESHOLD) -> Any:
    """The diffusers config object for `method`, tuned for CogVideoX (None for `off`).

    The timestep ranges are in the scheduler's 0..1000 timesteps: both attention caches stay
    off for the first, layout-forming steps (high timesteps) and, for PAB, the last ones.
    """
    from diffusers import FasterCacheConfig, FirstBlockCacheConfig, PyramidAttentionBroadcastConfig

    def current_timestep() -> int:
        return pipeline.current_timestep

    if method == "off":
        return None
    if method == "pab":
        # The settings diffusers documents for CogVideoX: recompute attention every 2nd step
        # between timesteps 100 and 800.
        return PyramidAttentionBroadcastConfig(
            spatial_attention_block_skip_range=2,
            spatial_attention_timestep_skip_range=(100, 800),
            current_timestep_callback=current_timestep,
        )
    if method == "fastercache":
        return FasterCacheConfig(
            spatial_attention_block_skip_range=2,
            spatial_attention_timestep_skip_range=(-1, 681),
            low_frequency_weight_update_timestep_range=(99, 641),
            high_frequency_weight_update_timestep_range=(-1, 301),
            unconditional_batch_skip_range=5,
            unconditional_batch_timestep_skip_range=(-1, 781),
            spatial_attention_block_identifiers=("transformer_blocks",),
            attention_weight_callback=lambda _module: 0.3,
            # CogVideoX latents are [batch, frames, channels, height, width].
            tensor_format="BFCHW",
            current_timestep_callback=current_timestep,
        )
    if method == "firstblock":
        return FirstBlockCacheConfig(threshold=firstblock_threshold)
    raise AccelerationError(f"unknown cache method {method!r}")


def enable_cache_method(pipeline: Any, method: str, *, firstblock_threshold: float = FIRST_BLOCK_THRESHOLD) -> None:
    transformer = pipeline.transformer
    if getattr(transformer, "is_cache_enabled", False):
        transformer.disable_cache()
    config = cache_config(method, pipeline, firstblock_threshold=firstblock_threshold)
    if config is not None:
        transformer.enable_cache(config)


def reset_cache_state(pipeline: Any) -> None:
    """Forget the cached tensors of the previous run. The pipeline does this itself when a run
    ends normally; a run that raised (out of memory, say) would otherwise leave its cache for
    the next job, whose first steps would then reuse another video's attention."""
    transformer = getattr(pipeline, "transformer", None)
    if transformer is not None and getattr(transformer, "is_cache_enabled", False):
        transformer._reset_stateful_cache()


def quantize_transformer(pipeline: Any, mode: str) -> None:
    if mode == "none":
        return
    try:
        from torchao.quantization import Int8WeightOnlyConfig, quantize_
    except ImportError as exc:  # pragma: no cover - torchao is in requirements.txt
        raise AccelerationError(f"COGVIDEO_QUANTIZE={mode} needs torchao: pip install torchao ({exc})") from exc
    quantize_(pipeline.transformer, Int8WeightOnlyConfig())


def compile_transformer(pipeline: Any, device: str) -> None:
    # In place (nn.Module.compile), so the cache hooks, offload hooks and the pipeline's
    # reference to the transformer all stay as they are. CUDA graphs are left out: offload
    # hooks move weights between calls, which CUDA graphs cannot follow.
    mode = "max-autotune-no-cudagraphs" if device.startswith("cuda") else None
    pipeline.transformer.compile(mode=mode, fullgraph=False)


def warm_up(engine: Any, *, width: int, height: int, num_frames: int, steps: int = 2) -> float:
    """Run the denoiser once at the size jobs will use, so compilation happens now (on worker
    start) and not inside the first user's job. Returns the seconds it took."""
    import torch

    started = time.perf_counter()
    with torch.inference_mode():
        engine.pipeline(
            prompt="warm-up",
            width=width,
            height=height,
            num_frames=num_frames,
            num_inference_steps=steps,
            guidance_scale=engine.profile.default_guidance,
            generator=torch.Generator(device="cpu").manual_seed(0),
            output_type="latent",
            max_sequence_length=engine.profile.max_text_tokens,
        )
    reset_cache_state(engine.pipeline)
    return time.perf_counter() - started


def apply_acceleration(engine: Any, options: AccelerationOptions | None = None) -> AppliedAcceleration:
    """Apply the levers (from settings unless given) to a freshly loaded engine; load_engine
    calls this once per load."""
    options = options or AccelerationOptions.from_settings()
    applied = AppliedAcceleration(options=options)
    pipeline = engine.pipeline
    if options.quantize != "none":
        started = time.perf_counter()
        quantize_transformer(pipeline, options.quantize)
        applied.quantize_seconds = time.perf_counter() - started
    enable_cache_method(pipeline, options.cache_method, firstblock_threshold=options.firstblock_threshold)
    if options.compile:
        compile_transformer(pipeline, engine.device)
        profile = engine.profile
        width, height, frames = options.warmup_size or (
            *profile.render_size_for(profile.native_width, profile.native_height),
            profile.frames_for(profile.default_duration),
        )
        applied.warmup_seconds = warm_up(engine, width=width, height=height, num_frames=frames)
    engine.acceleration = applied
    if options.cache_method != "off" or options.compile or options.quantize != "none":
        logger.info(
            "acceleration %s (quantize %.1fs, compile warm-up %.1fs)",
            options.label,
            applied.quantize_seconds,
            applied.warmup_seconds,
        )
    return applied


def acceleration_params(engine: Any) -> dict:
    """What a job's params should record about the levers that produced it."""
    applied: AppliedAcceleration | None = getattr(engine, "acceleration", None)
    if applied is None:
        return {"cache_method": "off", "compile": False, "quantize": "none"}
    return {
        "cache_method": applied.options.cache_method,
        "compile": applied.options.compile,
        "quantize": applied.options.quantize,
    }
