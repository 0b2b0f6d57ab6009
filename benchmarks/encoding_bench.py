"""The encoder alone (videos/generation/encoding.py): time and output size of each delivery
of a 720x480, 49-frame, 8 fps render (CogVideoX-2b's output), and the quality of the frame
rate interpolation modes against a known truth.

    .venv/bin/python benchmarks/encoding_bench.py [--repeats 3] [--output-dir benchmarks/results]

The frames are synthetic but move like video (a textured background panning, a disc on a
circle, a bar sweeping): the truth is the same scene drawn at 24 fps; the 8 fps input is
every third frame of it, so the two frames between each pair are known and an interpolation
mode can be scored by PSNR on exactly those frames. "duplicate" (ffmpeg's fps filter:
repeat each frame) is the baseline any interpolation must beat.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe_machine, machine_line  # noqa: E402
from benchmarks.report import write_results  # noqa: E402
from videos.generation import encoding  # noqa: E402
from videos.generation.encoding import BLEND_FILTER, INTERPOLATION_FILTER, Delivery  # noqa: E402

WIDTH, HEIGHT, FPS, SECONDS = 720, 480, 8, 6
DUPLICATE_FILTER = "fps={fps}"


def scene(fps: int, seconds: int = SECONDS) -> np.ndarray:
    count = fps * seconds + 1
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    frames = np.empty((count, HEIGHT, WIDTH, 3), np.uint8)
    for index in range(count):
        t = index / fps
        shift = int(t * 60)
        frames[index, ..., 0] = ((xx + shift) * 255 // WIDTH) % 256
        frames[index, ..., 1] = (np.sin((xx + shift) / 23.0) * np.cos(yy / 17.0) * 100 + 128).astype(np.uint8)
        frames[index, ..., 2] = (((xx + shift) // 40 + yy // 40) % 2) * 160
        cx, cy = WIDTH / 2 + 220 * np.cos(t * 1.5), HEIGHT / 2 + 130 * np.sin(t * 1.5)
        frames[index][((xx - cx) ** 2 + (yy - cy) ** 2) < 55**2] = (250, 240, 20)
        bar = int((t / seconds) * (WIDTH - 30))
        frames[index, :, bar : bar + 30] = (255, 255, 255)
    return frames


def decode(path: Path) -> np.ndarray:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(chunk, np.uint8).reshape(height, width, 3) for chunk in reader]
    return np.stack(frames)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def cases() -> list[tuple[str, Delivery, dict, str]]:
    """(label, delivery, outputs {name: suffix}, interpolation filter)."""
    native = Delivery(WIDTH, HEIGHT, FPS)
    return [
        ("mp4 720x480 8 fps (native, no resampling)", native, {"mp4": "mp4"}, ""),
        ("mp4 crop 512x512", Delivery(512, 512, FPS, fit="crop"), {"mp4": "mp4"}, ""),
        ("mp4 pad 512x512", Delivery(512, 512, FPS, fit="pad"), {"mp4": "mp4"}, ""),
        ("mp4 stretch 512x512", Delivery(512, 512, FPS, fit="stretch"), {"mp4": "mp4"}, ""),
        ("mp4 16 fps (mci)", Delivery(WIDTH, HEIGHT, 16, seconds=SECONDS), {"mp4": "mp4"}, INTERPOLATION_FILTER),
        ("mp4 24 fps (mci)", Delivery(WIDTH, HEIGHT, 24, seconds=SECONDS), {"mp4": "mp4"}, INTERPOLATION_FILTER),
        ("mp4 30 fps (mci)", Delivery(WIDTH, HEIGHT, 30, seconds=SECONDS), {"mp4": "mp4"}, INTERPOLATION_FILTER),
        ("mp4 16 fps (blend)", Delivery(WIDTH, HEIGHT, 16, seconds=SECONDS), {"mp4": "mp4"}, BLEND_FILTER),
        ("mp4 24 fps (blend)", Delivery(WIDTH, HEIGHT, 24, seconds=SECONDS), {"mp4": "mp4"}, BLEND_FILTER),
        ("mp4 30 fps (blend)", Delivery(WIDTH, HEIGHT, 30, seconds=SECONDS), {"mp4": "mp4"}, BLEND_FILTER),
        ("webm 720x480 8 fps", native, {"webm": "webm"}, ""),
        ("preview webp", native, {"preview": "webp"}, ""),
        (
            "mp4 + webm + preview, crop 512x512, 24 fps (mci), one run",
            Delivery(512, 512, 24, fit="crop", seconds=SECONDS),
            {"mp4": "mp4", "webm": "webm", "preview": "webp"},
            INTERPOLATION_FILTER,
        ),
    ]


def quality(folder: Path) -> list[dict]:
    """PSNR of the interpolated frames (those the 8 fps input lacks) against the 24 fps truth."""
    truth = scene(24)
    source = truth[::3]
    rows = []
    for mode, filter_text in (("duplicate", DUPLICATE_FILTER), ("blend", BLEND_FILTER), ("mci", INTERPOLATION_FILTER)):
        path = folder / f"quality-{mode}.mp4"
        started = time.perf_counter()
        encoding.write_mp4(source, FPS, path, Delivery(WIDTH, HEIGHT, 24, seconds=SECONDS), interpolation=filter_text)
        seconds = time.perf_counter() - started
        made = decode(path)
        between = [i for i in range(len(truth)) if i % 3 and i < len(made)]
        kept = [i for i in range(0, len(truth), 3) if i < len(made)]
        rows.append(
            {
                "mode": mode,
                "filter": filter_text.format(fps=24),
                "frames": len(made),
                "encode_seconds": seconds,
                "psnr_interpolated_db": statistics.fmean(psnr(made[i], truth[i]) for i in between),
                "psnr_min_interpolated_db": min(psnr(made[i], truth[i]) for i in between),
                "psnr_source_frames_db": statistics.fmean(psnr(made[i], truth[i]) for i in kept),
            }
        )
    return rows


def run(repeats: int, output_dir: Path) -> tuple[Path, Path]:
    machine = describe_machine(include_gpu=False)  # its load average: before the runs
    frames = scene(FPS)
    plan = cases()
    times: dict[str, list[float]] = {label: [] for label, *_ in plan}
    sizes: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cogvideo-encoding-bench-") as scratch:
        folder = Path(scratch)
        # Interleaved rounds (every case once per round): on a shared machine a burst of load
        # then hits all cases alike instead of one.
        for round_index in range(repeats):
            for label, delivery, outputs, interpolation in plan:
                paths = {name: folder / f"out.{suffix}" for name, suffix in outputs.items()}
                started = time.perf_counter()
                encoding.encode(frames, FPS, delivery, paths, interpolation=interpolation)
                times[label].append(time.perf_counter() - started)
                sizes[label] = {name: path.stat().st_size for name, path in paths.items()}
                print(f"round {round_index + 1} {label}: {times[label][-1]:.2f} s, {sizes[label]}", flush=True)
        results = [
            {
                "case": label,
                "delivery": delivery.__dict__,
                "interpolation": interpolation.format(fps=delivery.fps) if delivery.fps != FPS else "",
                "seconds": times[label],
                "median_seconds": statistics.median(times[label]),
                "bytes": sizes[label],
            }
            for label, delivery, _outputs, interpolation in plan
        ]
        interpolation_quality = quality(folder)
    base = results[0]["median_seconds"]
    lines = [
        f"# Encoder: deliveries of a {WIDTH}x{HEIGHT}x{FPS * SECONDS + 1} render ({FPS} fps, {SECONDS} s)",
        "",
        f"Machine: {machine_line(machine)}",
        "",
        f"Command: `python benchmarks/encoding_bench.py --repeats {repeats}`; medians of {repeats} interleaved "
        "rounds. Encoder only (frames in memory -> files), one ffmpeg run per row. Load average at the end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "",
        "| delivery | seconds | extra vs native MP4 | output size |",
        "|---|---:|---:|---|",
    ]
    for row in results:
        size = ", ".join(f"{name} {value / 1024:.0f} KiB" for name, value in row["bytes"].items())
        lines.append(f"| {row['case']} | {row['median_seconds']:.2f} | {row['median_seconds'] - base:+.2f} | {size} |")
    lines += [
        "",
        "Interpolation quality, 8 -> 24 fps, against the scene drawn at 24 fps (PSNR of the two made frames "
        "between each pair of source frames; higher is better):",
        "",
        "| mode | filter | seconds | PSNR made frames | worst made frame | PSNR source frames |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in interpolation_quality:
        lines.append(
            f"| {row['mode']} | `{row['filter']}` | {row['encode_seconds']:.2f} | {row['psnr_interpolated_db']:.1f} dB "
            f"| {row['psnr_min_interpolated_db']:.1f} dB | {row['psnr_source_frames_db']:.1f} dB |"
        )
    payload = {
        "kind": "encoding",
        "render": {"width": WIDTH, "height": HEIGHT, "fps": FPS, "frames": FPS * SECONDS + 1},
        "repeats": repeats,
        "machine": machine,
        "results": results,
        "interpolation_quality": interpolation_quality,
    }
    markdown = "\n".join(lines) + "\n"
    print(markdown)
    return write_results(output_dir, f"encoding-{WIDTH}x{HEIGHT}x{FPS * SECONDS + 1}", payload, markdown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogvideo_site.settings")
    json_path, md_path = run(args.repeats, Path(args.output_dir))
    print(f"wrote {json_path} and {md_path}")
    json.loads(json_path.read_text())  # written whole


if __name__ == "__main__":
    main()
