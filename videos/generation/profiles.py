"""Model profiles: what each CogVideoX checkpoint needs and accepts.

Profiles are pure data (no torch import), so the web process can validate requests
against them without loading anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

TINY_RANDOM = "tiny-random"


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

    @property
    def max_duration(self) -> int:
        return (self.max_frames - 1) // self.fps

    def frames_for(self, duration: int) -> int:
        # CogVideoX's VAE compresses time 4x around a first frame: frames = fps * seconds + 1.
        return self.fps * duration + 1


COGVIDEOX_2B = ModelProfile(
    name="cogvideox-2b",
    native_width=720,
    native_height=480,
    fps=8,
    max_frames=49,
    cuda_dtype="float16",
    scheduler="CogVideoXDDIMScheduler",
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
)
COGVIDEOX_15_5B = ModelProfile(
    name="cogvideox1.5-5b",
    native_width=1360,
    native_height=768,
    fps=16,
    max_frames=81,
    cuda_dtype="bfloat16",
    scheduler="CogVideoXDPMScheduler",
    use_dynamic_cfg=True,
)
# The tiny random model mirrors 2b's contract (sizes, fps, frame counts) so tests exercise
# exactly the bounds real users get; only the weights differ, and its presets take a few
# steps instead of 50 because its output is noise at any step count.
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
)

PROFILES = {p.name: p for p in (COGVIDEOX_2B, COGVIDEOX_5B, COGVIDEOX_15_5B, TINY)}


def profile_for(model: str) -> ModelProfile:
    """The profile for a hub id or local folder; COGVIDEO_PROFILE overrides the guess."""
    forced = settings.COGVIDEO_PROFILE
    if forced:
        if forced not in PROFILES:
            raise ValueError(f"COGVIDEO_PROFILE={forced!r} is not one of {', '.join(PROFILES)}")
        return PROFILES[forced]
    lowered = model.lower()
    if lowered == TINY_RANDOM:
        return TINY
    if "1.5" in lowered or "1_5" in lowered:
        return COGVIDEOX_15_5B
    if "5b" in lowered:
        return COGVIDEOX_5B
    return COGVIDEOX_2B
