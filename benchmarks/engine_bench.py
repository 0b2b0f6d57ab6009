"""The engine benchmark: load a pipeline with one configuration and time its parts.

Each configuration runs in a fresh child process (`manage.py benchmark --child ...`), so its
load time, peak memory (GPU or RSS) and compile caches are its own and a second configuration
never starts warm from the first.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from django.conf import settings

from .machine import describe_machine

METRICS = (
    "denoise_seconds",
    "seconds_per_step",
    "decode_seconds",
    "encode_seconds",
    "generate_seconds",
    "end_to_end_seconds",
)


@dataclass(frozen=True)
class BenchConfig:
    model: str = "tiny-random"
    width: int = 64
    height: int = 64
    frames: int = 9
    steps: int = 8
    memory_mode: str = "none"
    cache_method: str = "off"
    compile: bool = False
    quantize: str = "none"
    device: str = "auto"
    repeats: int = 3
    warmup_runs: int = 1
    guidance_scale: float = 6.0
    seed: int = 42
    firstblock_threshold: float = 0.05
    # Emulate a smaller GPU: before loading, hold all free GPU memory but this many GiB, so
    # `auto` sees (and every allocation must fit in) that budget. 0: the whole GPU.
    gpu_budget_gib: float = 0.0
    prompt: str = "A panda playing a guitar by a campfire in a bamboo forest, cinematic lighting"

    @property
    def label(self) -> str:
        parts = [f"{self.memory_mode}", f"cache={self.cache_method}"]
        if self.cache_method == "firstblock" and self.firstblock_threshold != 0.05:
            parts[-1] += f"@{self.firstblock_threshold}"
        if self.compile:
            parts.append("compile")
        if self.quantize != "none":
            parts.append(self.quantize)
        if self.gpu_budget_gib:
            parts.append(f"budget={self.gpu_budget_gib:g}GiB")
        return " ".join(parts)

    def with_overrides(self, text: str) -> BenchConfig:
        """`key=value,key=value` (the --compare syntax) applied on top of this config."""
        types = {f.name: f.type for f in fields(self)}
        changes: dict = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, value = item.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in types:
                raise ValueError(f"--compare expects key=value pairs with keys from {', '.join(types)}; got {item!r}")
            changes[key] = _parse_value(types[key], value.strip())
        return replace(self, **changes)


def _parse_value(kind: str, value: str):
    if kind == "bool":
        if value.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise ValueError(f"not a boolean: {value!r}")
        return value.lower() in {"1", "true", "yes", "on"}
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value


# --- in the child process ----------------------------------------------------------------------


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def measure(config: BenchConfig, frames_path: Path | None = None) -> dict:
    """Load, warm up, and time `config.repeats` runs of generate + encode in this process."""
    import torch

    from videos.generation.acceleration import AccelerationOptions
    from videos.generation.encoding import write_mp4, write_poster
    from videos.generation.engine import GenerationRequest, load_engine

    from .counters import count_transformer_work

    options = AccelerationOptions(
        cache_method=config.cache_method,
        compile=config.compile,
        quantize=config.quantize,
        warmup_size=(config.width, config.height, config.frames),
        firstblock_threshold=config.firstblock_threshold,
    )
    cuda = config.device.startswith("cuda") or (config.device == "auto" and torch.cuda.is_available())
    held_bytes = 0
    if cuda and config.gpu_budget_gib:
        free, _total = torch.cuda.mem_get_info()
        held_bytes = max(0, int(free - config.gpu_budget_gib * 2**30))
        _held = torch.empty(held_bytes, dtype=torch.uint8, device="cuda")  # noqa: F841 - kept until exit
    started = time.perf_counter()
    engine = load_engine(config.model, config.memory_mode, config.device, options)
    if cuda:
        torch.cuda.synchronize()
    load_seconds = time.perf_counter() - started
    load_peak_gpu = torch.cuda.max_memory_allocated() - held_bytes if cuda else None
    request = GenerationRequest(
        prompt=config.prompt,
        negative_prompt="",
        width=config.width,
        height=config.height,
        num_frames=config.frames,
        num_inference_steps=config.steps,
        guidance_scale=config.guidance_scale,
        seed=config.seed,
        use_dynamic_cfg=engine.profile.use_dynamic_cfg,
    )
    work = None
    for index in range(config.warmup_runs):
        # Counting hooks on a compiled transformer would force a recompilation: count only
        # uncompiled runs, and only in the (untimed) first warm-up run.
        if index == 0 and not config.compile:
            with count_transformer_work(engine.pipeline.transformer) as counter:
                engine.generate(request)
            work = counter.as_dict()
        else:
            engine.generate(request)
    runs = []
    frames_shape = None
    scratch = Path(tempfile.mkdtemp(prefix="cogvideo-bench-"))
    try:
        for index in range(config.repeats):
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            started = time.perf_counter()
            output = engine.generate(request)
            generate_seconds = time.perf_counter() - started
            encode_started = time.perf_counter()
            write_mp4(output.frames, engine.profile.fps, scratch / "bench.mp4")
            write_poster(output.frames, scratch / "bench.jpg")
            encode_seconds = time.perf_counter() - encode_started
            timings = output.timings
            runs.append(
                {
                    "denoise_seconds": timings["denoise_seconds"],
                    "seconds_per_step": timings["denoise_seconds"] / config.steps,
                    "decode_seconds": timings["decode_seconds"],
                    "encode_seconds": encode_seconds,
                    "generate_seconds": generate_seconds,
                    "end_to_end_seconds": generate_seconds + encode_seconds,
                    "peak_gpu_bytes": torch.cuda.max_memory_allocated() - held_bytes if cuda else None,
                    "video_bytes": (scratch / "bench.mp4").stat().st_size,
                }
            )
            if index == 0 and frames_path is not None:
                import numpy as np

                np.save(frames_path, output.frames)
                frames_shape = list(output.frames.shape)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    summary = {name: statistics.median(run[name] for run in runs) for name in METRICS}
    summary["peak_gpu_bytes"] = max(run["peak_gpu_bytes"] for run in runs) if cuda else None
    summary["peak_rss_bytes"] = _peak_rss_bytes()
    return {
        "config": asdict(config),
        "label": config.label,
        "device": engine.device,
        "dtype": str(engine.dtype).replace("torch.", ""),
        "memory_mode_used": engine.memory_mode,
        "load_seconds": load_seconds,
        "compile_warmup_seconds": engine.acceleration.warmup_seconds if engine.acceleration else 0.0,
        "load_peak_gpu_bytes": load_peak_gpu,
        "transformer_work": work,
        "frames_shape": frames_shape,
        "summary": summary,
        "runs": runs,
        "machine": describe_machine(),
    }


# --- in the parent process ---------------------------------------------------------------------


def run_in_child(config: BenchConfig, workdir: Path) -> dict:
    """Run `measure(config)` in a fresh `manage.py benchmark --child` process."""
    workdir.mkdir(parents=True, exist_ok=True)
    result_path = workdir / f"result-{time.time_ns()}.json"
    frames_path = result_path.with_suffix(".npy")
    command = [
        sys.executable,
        str(Path(settings.BASE_DIR) / "manage.py"),
        "benchmark",
        "--child",
        json.dumps(asdict(config)),
        "--child-output",
        str(result_path),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if completed.returncode != 0 or not result_path.exists():
        tail = (completed.stderr or completed.stdout)[-3000:]
        raise RuntimeError(f"benchmark of {config.label} failed (exit {completed.returncode}):\n{tail}")
    result = json.loads(result_path.read_text())
    result["frames_path"] = str(frames_path) if frames_path.exists() else None
    return result


def child_main(config_json: str, output: str) -> None:
    config = BenchConfig(**json.loads(config_json))
    output_path = Path(output)
    result = measure(config, frames_path=output_path.with_suffix(".npy"))
    output_path.write_text(json.dumps(result))


def merge_rounds(results: list[dict]) -> dict:
    """One configuration measured in several rounds: medians over every timed run of every
    round (load time: median over rounds; peaks: the highest)."""
    if len(results) == 1:
        return results[0]
    merged = dict(results[0])
    runs = [run for result in results for run in result["runs"]]
    merged["runs"] = runs
    merged["rounds"] = len(results)
    merged["load_seconds"] = statistics.median(result["load_seconds"] for result in results)
    merged["compile_warmup_seconds"] = statistics.median(result["compile_warmup_seconds"] for result in results)
    summary = {name: statistics.median(run[name] for run in runs) for name in METRICS}
    peaks = [result["summary"]["peak_gpu_bytes"] for result in results if result["summary"]["peak_gpu_bytes"]]
    summary["peak_gpu_bytes"] = max(peaks) if peaks else None
    summary["peak_rss_bytes"] = max(result["summary"]["peak_rss_bytes"] for result in results)
    merged["summary"] = summary
    return merged
