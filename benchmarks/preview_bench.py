"""What live previews cost (videos/generation/live_preview.py).

Measures, on this machine: fitting the latent-to-RGB projection from the tiny model's VAE;
one preview (project the middle latent frame, scale to 256 px, JPEG) at the latent shapes of
CogVideoX-2b/5b (720x480x49: 13 x 16 x 60 x 90) and CogVideoX1.5 (1360x768x81: 21 x 16 x 96 x
170); and the share of denoising time previews take in a tiny-model job with them on (one
preview a second at most). Writes benchmarks/results/<time>-live-preview.{json,md}. Usage:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/preview_bench.py [WxH] [steps]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogvideo_site.settings")
os.environ.setdefault("COGVIDEO_DATA_DIR", tempfile.mkdtemp(prefix="cogvideo-preview-bench-"))
os.environ.setdefault("COGVIDEO_MODEL", "tiny-random")

import django  # noqa: E402

django.setup()

import torch  # noqa: E402

from benchmarks.machine import describe_machine, machine_line  # noqa: E402
from benchmarks.report import write_results  # noqa: E402
from videos.generation import live_preview  # noqa: E402
from videos.generation.engine import GenerationRequest, load_engine  # noqa: E402

SHAPES = {"cogvideox-2b 720x480x49": (1, 13, 16, 60, 90), "cogvideox1.5 1360x768x81": (1, 21, 16, 96, 170)}


def median_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    size = sys.argv[1] if len(sys.argv) > 1 else "256x256"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    width, height = (int(side) for side in size.split("x"))
    machine = describe_machine()
    engine = load_engine("tiny-random", "none", "cpu")
    vae = engine.pipeline.vae
    fit_ms = median_ms(lambda: live_preview.fit_factors(vae), 3)
    factors = live_preview.fit_factors(vae)
    per_shape = {}
    for name, shape in SHAPES.items():
        # The real models' VAEs have 16 latent channels: a projection of that width.
        wide = {"weights": [[0.01] * shape[2]] * 3, "bias": [0.0, 0.0, 0.0]}
        latents = torch.randn(*shape)
        per_shape[name] = median_ms(lambda latents=latents, wide=wide: live_preview.preview_jpeg(latents, wide), 30)
    request = GenerationRequest(
        prompt="a red fox running through snow", negative_prompt="", width=width, height=height,
        num_frames=9, num_inference_steps=steps, guidance_scale=6.0, seed=7,
    )  # fmt: skip
    runs = []
    for _round in range(2):
        for previews in (False, True):
            sink: list[int] = []
            record = (lambda image, step, sink=sink: sink.append(step)) if previews else None
            output = engine.generate(request, on_preview=record)
            runs.append(
                {
                    "previews_on": previews,
                    "denoise_seconds": output.timings["denoise_seconds"],
                    "previews": output.timings["previews"],
                    "preview_seconds": output.timings["preview_seconds"],
                }
            )
    with_previews = [run for run in runs if run["previews_on"]]
    share = statistics.median(run["preview_seconds"] / run["denoise_seconds"] for run in with_previews)
    payload = {
        "machine": machine,
        "fit_ms_tiny_vae": fit_ms,
        "preview_ms": per_shape,
        "tiny_job": {"size": size, "steps": steps, "frames": 9, "runs": runs, "preview_share_of_denoising": share},
        "factors_tiny": factors,
    }
    lines = [
        "# Live previews: what they cost",
        "",
        f"Machine: {machine_line(machine)}",
        "",
        f"- Fitting the latent-to-RGB projection from the tiny VAE: {fit_ms:.0f} ms (once per model, then on disk).",
        *(f"- One preview at the {name} latent shape: {ms:.1f} ms" for name, ms in per_shape.items()),
        f"- Tiny-model job {size}, {steps} steps, previews on: {with_previews[0]['previews']:.0f} previews, "
        f"{share * 100:.2f} % of the denoising time (target: under 3 %).",
        "",
        "At most one preview per second of denoising, so on any device a preview costs at most "
        "(preview ms / 1000) of the job: "
        + ", ".join(f"{ms / 10:.2f} % at {name}" for name, ms in per_shape.items())
        + " (measured here on the CPU; on a GPU the projection runs after the latents are copied back).",
        "",
    ]
    json_path, md_path = write_results(Path(__file__).parent / "results", "live-preview", payload, "\n".join(lines))
    print("\n".join(lines))
    print(f"written: {json_path} {md_path}")


if __name__ == "__main__":
    main()
