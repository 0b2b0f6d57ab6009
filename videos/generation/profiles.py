"""Model profiles: what each CogVideoX checkpoint needs and accepts.

Profiles are pure data (no torch import), so the web process can validate requests
against them without loading anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from django.conf import settings

TINY_RANDOM = "tiny-random"
TINY_RANDOM_I2V = "tiny-random-i2v"
TINY_MODELS = (TINY_RANDOM, TINY_RANDOM_I2V)
TEXT_TO_VIDEO = "text-to-video"
IMAGE_TO_VIDEO = "image-to-video"
# Delivered frame rates above the native one, made by motion interpolation (encoding.py).
INTERPOLATED_FPS = (16, 24, 30)


@dataclass(frozen=True)
class SizeBounds:
    """Trained sizes given as bounds (CogVideoX1.5: min(W, H) = 768, 768 <= max(W, H) <= 1360,
    multiples of 16), in either orientation."""

    short_min: int
    short_max: int
    long_min: int
    long_max: int
    multiple: int = 16

    def contains(self, width: int, height: int) -> bool:
        short, long = sorted((width, height))
        return (
            width % self.multiple == 0
            and height % self.multiple == 0
            and self.short_min <= short <= self.short_max
            and self.long_min <= long <= self.long_max
        )

    def nearest(self, width: int, height: int) -> tuple[int, int]:
        """The size inside the bounds closest in aspect ratio to width x height (then in
        size): the short side as near the request's as the bounds allow, the long side
        following the aspect ratio."""
        if self.contains(width, height):
            return width, height
        short_req, long_req = sorted((width, height))
        aspect = long_req / short_req
        best: tuple[float, int, int] | None = None
        m = self.multiple
        for short in range(_ceil_to(self.short_min, m), self.short_max + 1, m):
            long = min(max(_round_to(short * aspect, m), _ceil_to(self.long_min, m), short), self.long_max)
            if long < short:
                continue
            score = (abs(math.log((long / short) / aspect)), abs(short - short_req))
            if best is None or score < best[:2]:
                best = (*score, short, long)  # type: ignore[assignment]
        assert best is not None, "empty size bounds"
        short, long = best[2], best[3]
        return (long, short) if width >= height else (short, long)


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def _ceil_to(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


@dataclass(frozen=True)
class ModelProfile:
    name: str
    native_width: int
    native_height: int
    fps: int
    max_frames: int
    cuda_dtype: str  # "float16" or "bfloat16"
    scheduler: str  # diffusers scheduler class name the checkpoint needs
    quality_steps: int = 50
    draft_steps: int = 20
    default_guidance: float = 6.0
    max_text_tokens: int = 226
    size_multiple: int = 16
    min_side: int = 64
    max_side: int = 1360
    max_pixels: int = 1360 * 768
    max_steps: int = 100
    use_dynamic_cfg: bool = False
    # What the checkpoint was trained to render: a list of sizes, or bounds. A request of
    # another size renders at the trained size nearest in aspect ratio and is then fitted
    # to the asked size by the encoder (render_size_for).
    trained_sizes: tuple[tuple[int, int], ...] = ()
    trained_bounds: SizeBounds | None = None
    # Frame counts the checkpoint was trained on, when it takes only some (1.5: 81 or 161);
    # empty: any fps * seconds + 1 up to max_frames.
    trained_frame_counts: tuple[int, ...] = ()
    # text-to-video (CogVideoXPipeline) or image-to-video (CogVideoXImageToVideoPipeline: the
    # request's image is fitted to the render size and conditions every frame).
    kind: str = TEXT_TO_VIDEO

    @property
    def takes_image(self) -> bool:
        return self.kind == IMAGE_TO_VIDEO

    @property
    def durations(self) -> tuple[int, ...]:
        """The whole-second durations a job may ask for."""
        if self.trained_frame_counts:
            return tuple((frames - 1) // self.fps for frames in self.trained_frame_counts)
        return tuple(range(1, (self.max_frames - 1) // self.fps + 1))

    @property
    def max_duration(self) -> int:
        return max(self.durations)

    @property
    def default_duration(self) -> int:
        # The longest clip for range profiles (as before); 1.5's standard 81 frames otherwise.
        return self.durations[0] if self.trained_frame_counts else self.max_duration

    @property
    def delivered_fps(self) -> tuple[int, ...]:
        """Frame rates a job may ask for: the native rate and the interpolated ones above it."""
        return (self.fps, *(rate for rate in INTERPOLATED_FPS if rate > self.fps))

    def frames_for(self, duration: int) -> int:
        # CogVideoX's VAE compresses time 4x around a first frame: frames = fps * seconds + 1.
        return self.fps * duration + 1

    def render_size_for(self, width: int, height: int) -> tuple[int, int]:
        """The trained size to render a width x height request at: the request itself when it
        is a trained size, else the trained size nearest in aspect ratio (then in area)."""
        if (width, height) in self.trained_sizes:
            return width, height
        if self.trained_bounds is not None:
            return self.trained_bounds.nearest(width, height)
        if not self.trained_sizes:
            return width, height
        aspect = math.log(width / height)
        return min(
            self.trained_sizes,
            key=lambda size: (abs(math.log(size[0] / size[1]) - aspect), abs(size[0] * size[1] - width * height)),
        )

    def describe_trained_sizes(self) -> str:
        if self.trained_bounds is not None:
            b = self.trained_bounds
            return f"short side {b.short_min}..{b.short_max}, long side {b.long_min}..{b.long_max}, multiples of {b.multiple}"
        return ", ".join(f"{w}x{h}" for w, h in self.trained_sizes)


# 2b and 5b: the model cards say 720x480 only ("other resolutions not supported"), and the
# checkpoints' transformer config says the same: sample_width 90, sample_height 60 latent
# pixels (x8 = 720x480). diffusers would run 480x720 (2b recomputes its sin-cos position
# embedding, 5b crops its rotary grid; only the I2V model's learned embedding raises), but
# neither checkpoint saw a portrait frame in training, so 480x720 is not a trained size: a
# portrait request renders 720x480 and is cropped or padded to portrait.
COGVIDEOX_2B = ModelProfile(
    name="cogvideox-2b",
    native_width=720,
    native_height=480,
    fps=8,
    max_frames=49,
    cuda_dtype="float16",
    scheduler="CogVideoXDDIMScheduler",
    trained_sizes=((720, 480),),
)
COGVIDEOX_5B = ModelProfile(
    name="cogvideox-5b",
    native_width=720,
    native_height=480,
    fps=8,
    max_frames=49,
    cuda_dtype="bfloat16",
    scheduler="CogVideoXDPMScheduler",
    use_dynamic_cfg=True,
    trained_sizes=((720, 480),),
)
COGVIDEOX_15_5B = ModelProfile(
    name="cogvideox1.5-5b",
    native_width=1360,
    native_height=768,
    fps=16,
    max_frames=161,
    cuda_dtype="bfloat16",
    scheduler="CogVideoXDPMScheduler",
    use_dynamic_cfg=True,
    trained_bounds=SizeBounds(short_min=768, short_max=768, long_min=768, long_max=1360),
    trained_frame_counts=(81, 161),
)
# The tiny random model mirrors 2b's contract (fps, frame counts, delivered sizes) so tests
# exercise the bounds real users get; only the weights differ, and its presets take a few
# steps instead of 50 because its output is noise at any step count. Its "trained" sizes are
# bounds of its own, up to 256 px on the short side and 384 on the long one: small jobs
# render at their own size, and a larger request (the article's 512x512, 2b's 720x480)
# renders small and is scaled to the asked size through the same selection and fitting code
# as a real checkpoint, so the suite stays fast. Tests that need 2b's rendering rules set
# COGVIDEO_PROFILE=cogvideox-2b with this model.
TINY = ModelProfile(
    name=TINY_RANDOM,
    native_width=720,
    native_height=480,
    fps=8,
    max_frames=49,
    cuda_dtype="float32",
    scheduler="CogVideoXDDIMScheduler",
    quality_steps=4,
    draft_steps=2,
    trained_bounds=SizeBounds(short_min=64, short_max=256, long_min=64, long_max=384),
)

# Image-to-video. 5b-I2V has a learned position embedding of 720x480 (diffusers raises on any
# other size): 720x480 only, like 5b. 1.5-I2V has 1.5's rotary embedding and its bounds.
COGVIDEOX_5B_I2V = replace(COGVIDEOX_5B, name="cogvideox-5b-i2v", kind=IMAGE_TO_VIDEO)
COGVIDEOX_15_5B_I2V = replace(COGVIDEOX_15_5B, name="cogvideox1.5-5b-i2v", kind=IMAGE_TO_VIDEO)
# The tiny random image-to-video model keeps 5b-I2V's rule (a learned position embedding, so
# one trained size) at a size that runs in seconds on a CPU: 64x64. Delivered sizes and fps
# are 2b's; a request of another size renders 64x64 and is fitted, input image and output.
TINY_I2V = ModelProfile(
    name=TINY_RANDOM_I2V,
    native_width=64,
    native_height=64,
    fps=8,
    max_frames=49,
    cuda_dtype="float32",
    scheduler="CogVideoXDDIMScheduler",
    quality_steps=4,
    draft_steps=2,
    trained_sizes=((64, 64),),
    kind=IMAGE_TO_VIDEO,
)

PROFILES = {
    p.name: p
    for p in (COGVIDEOX_2B, COGVIDEOX_5B, COGVIDEOX_15_5B, TINY, COGVIDEOX_5B_I2V, COGVIDEOX_15_5B_I2V, TINY_I2V)
}


def profile_for(model: str) -> ModelProfile:
    """The profile for a hub id or local folder. COGVIDEO_PROFILE overrides the guess for the
    default model (COGVIDEO_MODEL) only: other served models are named by their folder or id."""
    forced = settings.COGVIDEO_PROFILE
    if forced and model == settings.COGVIDEO_MODEL:
        if forced not in PROFILES:
            raise ValueError(f"COGVIDEO_PROFILE={forced!r} is not one of {', '.join(PROFILES)}")
        return PROFILES[forced]
    lowered = model.lower()
    if lowered == TINY_RANDOM:
        return TINY
    if lowered == TINY_RANDOM_I2V:
        return TINY_I2V
    image = "i2v" in lowered
    if "1.5" in lowered or "1_5" in lowered:
        return COGVIDEOX_15_5B_I2V if image else COGVIDEOX_15_5B
    if "5b" in lowered:
        return COGVIDEOX_5B_I2V if image else COGVIDEOX_5B
    return COGVIDEOX_2B
