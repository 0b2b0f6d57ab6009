"""The generation engine: a diffusers CogVideoXPipeline loaded once per worker process.

torch is imported lazily inside functions: the web process and the django-q2 parent import
this package (through the task module) and must never initialise CUDA, because django-q2
forks its workers and CUDA must first be touched in the child.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from .acceleration import AccelerationError, AccelerationOptions, apply_acceleration, reset_cache_state
from .memory import MEMORY_MODES, apply_memory_mode, choose_memory_mode, leaner_mode
from .profiles import TINY_MODELS, TINY_RANDOM, TINY_RANDOM_I2V, ModelProfile, profile_for

logger = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """The configured model cannot be loaded; the message says how to provide it."""

    code = "model_unavailable"


class GenerationOutOfMemory(Exception):
    code = "out_of_memory"


class GenerationCanceled(Exception):
    """The job was canceled: `stage` is where it stopped, after `done` of `total` steps or
    decode chunks."""

    code = "canceled"

    def __init__(self, message: str, *, stage: str = "", done: int = 0, total: int = 0):
        super().__init__(message)
        self.stage, self.done, self.total = stage, done, total


@dataclass
class GenerationRequest:
    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    num_inference_steps: int
    guidance_scale: float
    seed: int
    use_dynamic_cfg: bool = False
    # Image-to-video: the input image (a PIL RGB image), already fitted to width x height.
    image: Any = None


@dataclass
class GenerationOutput:
    frames: Any  # uint8 numpy array [frames, height, width, 3]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def model_setting() -> str:
    """The default model: what a request that names none gets (COGVIDEO_MODEL)."""
    return settings.COGVIDEO_MODEL


_served_model: str | None = None  # this process's model, chosen by the worker (serve_model)


def serve_model(model: str) -> None:
    """Make `model` the one this process loads and runs (a worker of a model's cluster: each
    worker serves one model, see worker.served_model). Settings stay as configured."""
    global _served_model
    _served_model = model


def served_model() -> str:
    return _served_model or model_setting()


def how_to_provide_weights(model: str, reason: str) -> str:
    return (
        f"The CogVideoX model {model!r} could not be loaded: {reason}. "
        "Provide the weights in one of these ways: "
        "(1) on a machine with internet access run "
        f"`huggingface-cli download {model if '/' in model else 'THUDM/CogVideoX-2b'} "
        "--local-dir /models/CogVideoX-2b`, copy the folder here and start the service with "
        "COGVIDEO_MODEL=/models/CogVideoX-2b (or `launch.py --model /models/CogVideoX-2b`); "
        "(2) give the workers network access to the Hugging Face Hub so they download it on "
        "first use (about 13 GB; set HF_HOME to choose where it is cached); "
        "(3) for a demo or tests without weights use COGVIDEO_MODEL=tiny-random, a tiny "
        "random model whose videos are noise."
    )


_pinned_device: str | None = None  # this process's GPU, chosen by the worker (pin_device)


def pin_device(device: str) -> None:
    """Make `device` this process's default instead of COGVIDEO_DEVICE (a worker pinned to
    one GPU of COGVIDEO_DEVICES). Settings stay as configured."""
    global _pinned_device
    _pinned_device = device


def resolve_device(requested: str | None = None) -> str:
    import torch

    requested = (requested or _pinned_device or settings.COGVIDEO_DEVICE or "auto").strip().lower()
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelUnavailable(f"COGVIDEO_DEVICE={requested} but no CUDA device is visible to this worker")
    return requested


def _tiny_model_path(model: str = TINY_RANDOM) -> Path:
    from .tiny import TINY_MODEL_VERSION, build_tiny_i2v_pipeline, build_tiny_pipeline

    folder = Path(settings.DATA_DIR) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{model}-{TINY_MODEL_VERSION}"
    build = build_tiny_i2v_pipeline if model == TINY_RANDOM_I2V else build_tiny_pipeline
    # Several workers may start at once: build under a lock so only one writes the folder.
    with open(folder / ".tiny-random.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return build(target)


class Engine:
    """A loaded pipeline plus how it was placed on the device."""

    def __init__(self, model: str, pipeline: Any, profile: ModelProfile, device: str, dtype: Any):
        self.model = model
        self.pipeline = pipeline
        self.profile = profile
        self.device = device
        self.dtype = dtype
        self.memory_mode = "none"
        self.load_seconds = 0.0
        self.acceleration: Any = None  # AppliedAcceleration, set by apply_acceleration

    def place(self, mode: str) -> None:
        self.memory_mode = apply_memory_mode(self.pipeline, mode, self.device)

    def count_prompt_tokens(self, prompt: str) -> int:
        return len(self.pipeline.tokenizer(prompt, add_special_tokens=True).input_ids)

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_stage: Callable[[str], None] | None = None,
        on_decode: Callable[[int, int], None] | None = None,
        on_preview: Callable[[bytes, int], None] | None = None,
    ) -> GenerationOutput:
        import torch

        from .live_preview import PREVIEW_INTERVAL, factors_for, preview_jpeg

        global pipeline_runs
        pipeline_runs += 1
        output = GenerationOutput(frames=None)
        tokens = self.count_prompt_tokens(request.prompt)
        if tokens > self.profile.max_text_tokens:
            output.warnings.append(
                f"The prompt is {tokens} tokens long; the model reads only the first "
                f"{self.profile.max_text_tokens}, the rest was ignored."
            )
        canceled = False
        steps_done = 0
        factors = factors_for(self.model, self.pipeline.vae) if on_preview and settings.COGVIDEO_LIVE_PREVIEWS else None
        last_preview = time.perf_counter()
        output.timings["preview_seconds"] = output.timings["previews"] = 0.0

        def step_callback(pipe: Any, index: int, timestep: Any, tensors: dict) -> dict:
            nonlocal canceled, steps_done, last_preview
            steps_done = index + 1
            now = time.perf_counter()
            if (
                factors is not None
                and steps_done < request.num_inference_steps
                and now - last_preview >= PREVIEW_INTERVAL
            ):
                on_preview(preview_jpeg(tensors["latents"], factors), steps_done)
                last_preview = time.perf_counter()
                output.timings["preview_seconds"] += last_preview - now
                output.timings["previews"] += 1
            if on_step:
                on_step(index + 1, request.num_inference_steps)
            if should_cancel and should_cancel() and not canceled:
                canceled = True
                # The pipeline checks this flag before each remaining step and skips it.
                pipe._interrupt = True
            return tensors

        generator = torch.Generator(device="cpu").manual_seed(request.seed)
        reset_cache_state(self.pipeline)  # no cached tensors from an earlier, failed run
        if on_stage:
            on_stage("denoising")
        started = time.perf_counter()
        # Wall-clock start of denoising, stored with the job's timings: the service benchmark
        # measures dispatch latency (POST answered -> denoising starts) from it.
        output.timings["denoise_started_unix"] = time.time()
        # Image-to-video: the fitted image conditions the frames (CogVideoXImageToVideoPipeline).
        conditioning = {"image": request.image} if self.profile.takes_image else {}
        try:
            with torch.inference_mode():
                latents = self.pipeline(
                    **conditioning,
                    prompt=request.prompt,
                    negative_prompt=request.negative_prompt or None,
                    width=request.width,
                    height=request.height,
                    num_frames=request.num_frames,
                    num_inference_steps=request.num_inference_steps,
                    guidance_scale=request.guidance_scale,
                    use_dynamic_cfg=request.use_dynamic_cfg,
                    generator=generator,
                    output_type="latent",
                    callback_on_step_end=step_callback,
                    max_sequence_length=self.profile.max_text_tokens,
                ).frames
                latents = self._without_padding_frames(latents, request.num_frames)
                output.timings["denoise_seconds"] = time.perf_counter() - started
                if canceled:
                    raise GenerationCanceled(
                        "canceled during denoising",
                        stage="denoising",
                        done=steps_done,
                        total=request.num_inference_steps,
                    )
                if on_stage:
                    on_stage("decoding")
                started = time.perf_counter()
                # Decoding outside the pipeline call lets a cancel skip it and lets us time it;
                # in chunks, so it reports progress and a cancel stops it within one chunk.
                video = self.decode(latents, on_decode, should_cancel)
                frames = self.pipeline.video_processor.postprocess_video(video=video, output_type="np")[0]
                output.timings["decode_seconds"] = time.perf_counter() - started
        except torch.OutOfMemoryError as exc:
            raise GenerationOutOfMemory(str(exc).splitlines()[0] if str(exc) else "CUDA out of memory") from exc
        finally:
            if self.device.startswith("cuda"):
                output.timings["peak_gpu_bytes"] = float(torch.cuda.max_memory_allocated())
        output.frames = (frames.clip(0, 1) * 255).round().astype("uint8")
        return output

    def _without_padding_frames(self, latents: Any, num_frames: int) -> Any:
        """CogVideoX 1.5 pads the latent frames to a multiple of patch_size_t in front; the
        pipeline drops them itself only when it decodes (output_type != "latent")."""
        patch_t = getattr(self.pipeline.transformer.config, "patch_size_t", None)
        latent_frames = (num_frames - 1) // self.pipeline.vae_scale_factor_temporal + 1
        if patch_t and latent_frames % patch_t and latents.shape[1] > latent_frames:
            return latents[:, latents.shape[1] - latent_frames :]
        return latents

    def decode(
        self,
        latents: Any,
        on_chunk: Callable[[int, int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> Any:
        """The VAE decode of the pipeline's latents ([batch, frames, channels, h, w]), chunk by
        chunk. diffusers' CogVideoX VAE already decodes in chunks (2 latent frames at a time,
        per tile when tiling): a hook on its decoder sees each chunk end and reports it, and
        hooks before the decoder's blocks ask `should_cancel` and raise GenerationCanceled, so
        a cancel costs at most one block of the chunk under way."""
        vae = self.pipeline.vae
        total = decoder_calls(vae, latents.shape)
        done = 0

        def after_chunk(_module: Any, _args: Any, _output: Any) -> None:
            nonlocal done
            done += 1
            if on_chunk:
                on_chunk(min(done, total), total)
            if should_cancel and should_cancel() and done < total:
                raise GenerationCanceled("canceled during decoding", stage="decoding", done=done, total=total)

        def inside_chunk(_module: Any, _args: Any) -> None:
            # Before each of the decoder's blocks: a chunk of a real checkpoint takes seconds
            # on a CPU, so a cancel does not wait for the whole chunk.
            if should_cancel and should_cancel():
                raise GenerationCanceled("canceled during decoding", stage="decoding", done=done, total=total)

        if should_cancel and should_cancel():
            raise GenerationCanceled("canceled before decoding", stage="decoding", done=0, total=total)
        decoder = vae.decoder
        handles = [decoder.register_forward_hook(after_chunk)]
        blocks = [getattr(decoder, "mid_block", None), *getattr(decoder, "up_blocks", [])]
        handles += [block.register_forward_pre_hook(inside_chunk) for block in blocks if block is not None]
        try:
            return self.pipeline.decode_latents(latents)
        finally:
            for handle in handles:
                handle.remove()


def decoder_calls(vae: Any, latent_shape: Any) -> int:
    """How many chunks (calls of vae.decoder) decoding latents of this shape takes, by the
    rules of AutoencoderKLCogVideoX._decode / tiled_decode: frame batches of
    num_latent_frames_batch_size latent frames, times the tiles when tiling applies."""
    batch, frames, _channels, height, width = (int(n) for n in latent_shape)
    per_tile = max(frames // vae.num_latent_frames_batch_size, 1)
    tiles = 1
    if getattr(vae, "use_tiling", False) and (width > vae.tile_latent_min_width or height > vae.tile_latent_min_height):
        step_h = int(vae.tile_latent_min_height * (1 - vae.tile_overlap_factor_height))
        step_w = int(vae.tile_latent_min_width * (1 - vae.tile_overlap_factor_width))
        tiles = len(range(0, height, step_h)) * len(range(0, width, step_w))
    slices = batch if getattr(vae, "use_slicing", False) and batch > 1 else 1
    return max(1, slices * tiles * per_tile)


_engine: Engine | None = None
_engine_lock = threading.Lock()
load_count = 0  # pipelines loaded by this process: a warm worker loads exactly once
pipeline_runs = 0  # pipeline runs in this process (tests count duplicate work with it)


def load_engine(
    model: str | None = None,
    memory_mode: str | None = None,
    device: str | None = None,
    acceleration: AccelerationOptions | None = None,
) -> Engine:
    """Load the pipeline through `from_pretrained` (hub id, local folder or tiny-random).
    `acceleration` (cache method, compile, quantization) defaults to the settings."""
    global load_count
    import torch
    from diffusers import CogVideoXImageToVideoPipeline, CogVideoXPipeline

    model = model or served_model()
    profile = profile_for(model)
    pipeline_class = CogVideoXImageToVideoPipeline if profile.takes_image else CogVideoXPipeline
    device = resolve_device(device)
    dtype = getattr(torch, profile.cuda_dtype) if device.startswith("cuda") else torch.float32
    started = time.perf_counter()
    if model in TINY_MODELS:
        source, local_only = str(_tiny_model_path(model)), True
    else:
        source, local_only = model, not settings.COGVIDEO_ALLOW_DOWNLOAD
        if model.startswith(("/", ".")) and not Path(model).exists():
            raise ModelUnavailable(how_to_provide_weights(model, f"the folder {model} does not exist"))
    try:
        pipeline = pipeline_class.from_pretrained(
            source,
            dtype=dtype,
            revision=settings.COGVIDEO_MODEL_REVISION,
            local_files_only=local_only,
        )
    except Exception as exc:  # noqa: BLE001 - every loading failure gets the same advice
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailable(how_to_provide_weights(model, reason[:300])) from exc
    pipeline.set_progress_bar_config(disable=True)
    if settings.COGVIDEO_VAE_TILING:
        pipeline.vae.enable_tiling()
        pipeline.vae.enable_slicing()
    engine = Engine(model, pipeline, profile, device, dtype)
    mode = memory_mode or settings.COGVIDEO_MEMORY_MODE
    if mode not in MEMORY_MODES:
        raise ModelUnavailable(f"COGVIDEO_MEMORY_MODE={mode!r} is not one of {', '.join(MEMORY_MODES)}")
    engine.place(choose_memory_mode(profile, device) if mode == "auto" else mode)
    # Speed levers after placement: torchao quantizes weights where they will run, and the
    # compile warm-up must see the final placement.
    try:
        apply_acceleration(engine, acceleration)
    except AccelerationError as exc:
        raise ModelUnavailable(str(exc)) from exc
    engine.load_seconds = time.perf_counter() - started
    load_count += 1
    logger.info("loaded %s on %s (%s) in %.1fs", model, device, engine.memory_mode, engine.load_seconds)
    return engine


def get_engine() -> Engine:
    """The process's engine, loaded on first use and kept for every later job."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = load_engine()
        return _engine


def loaded_engine() -> Engine | None:
    return _engine


def use_leaner_memory_mode(engine: Engine) -> str | None:
    """After an out-of-memory error: move to the next leaner mode, or None if none is left."""
    import torch

    nxt = leaner_mode(engine.memory_mode)
    if nxt is None:
        return None
    if engine.device.startswith("cuda"):
        torch.cuda.empty_cache()
    engine.place(nxt)
    return nxt
