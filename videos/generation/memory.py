"""Memory modes: where the pipeline's weights live while it runs.

none               everything on the GPU: fastest, most memory
model_offload      each component moves to the GPU only while it runs
sequential_offload layer by layer: least memory, much slower
auto               the fastest mode whose expected peak fits the free GPU memory

On a CPU device there is nowhere to offload to; the mode is recorded but changes nothing.
"""

from __future__ import annotations

from typing import Any

from .profiles import ModelProfile

MEMORY_MODES = ("none", "model_offload", "sequential_offload", "auto")
LEANER = {"none": "model_offload", "model_offload": "sequential_offload", "sequential_offload": None}

# Expected peak GiB at the native size with VAE tiling and slicing on (published figures for
# diffusers' CogVideoX pipelines, rounded up); `auto` keeps a margin on top.
EXPECTED_PEAK_GIB = {
    "cogvideox-2b": {"none": 18.0, "model_offload": 11.0, "sequential_offload": 4.0},
    "cogvideox-5b": {"none": 26.0, "model_offload": 16.0, "sequential_offload": 5.0},
    "cogvideox1.5-5b": {"none": 36.0, "model_offload": 20.0, "sequential_offload": 10.0},
}
AUTO_MARGIN_GIB = 1.0


def leaner_mode(mode: str) -> str | None:
    return LEANER.get(mode)


def choose_memory_mode(profile: ModelProfile, device: str, free_bytes: int | None = None) -> str:
    if not device.startswith("cuda"):
        return "none"
    if free_bytes is None:
        import torch

        free_bytes, _total = torch.cuda.mem_get_info(torch.device(device))
    free_gib = free_bytes / 2**30
    peaks = EXPECTED_PEAK_GIB.get(profile.name, EXPECTED_PEAK_GIB["cogvideox-2b"])
    for mode in ("none", "model_offload"):
        if peaks[mode] + AUTO_MARGIN_GIB <= free_gib:
            return mode
    return "sequential_offload"


def apply_memory_mode(pipeline: Any, mode: str, device: str) -> str:
    if not device.startswith("cuda"):
        pipeline.to(device)
        return mode
    pipeline.remove_all_hooks()
    if mode == "none":
        pipeline.to(device)
    elif mode == "model_offload":
        pipeline.to("cpu")
        pipeline.enable_model_cpu_offload(device=device)
    elif mode == "sequential_offload":
        pipeline.to("cpu")
        pipeline.enable_sequential_cpu_offload(device=device)
    else:
        raise ValueError(f"unknown memory mode {mode!r}")
    return mode
