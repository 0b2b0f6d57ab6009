"""Benchmark results as files: JSON (everything) and a markdown table (the summary), both
under benchmarks/results/, each with the machine description."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

from .machine import machine_line


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _gib(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**30:.2f}"


def _ratio(base: float | None, other: float | None) -> str:
    if not base or not other:
        return "-"
    return f"{base / other:.2f}x"


def _psnr(value: float | None) -> str:
    if value is None:
        return "-"
    return "identical" if math.isinf(value) else f"{value:.1f} dB"


def engine_table(results: list[dict]) -> str:
    """One row per configuration; the first is the baseline the ratios compare against."""
    base = results[0]["summary"]
    lines = [
        "| configuration | load s | s/step | denoise s | VAE decode s | encode s | end-to-end s | speed-up vs 1st "
        "| peak GPU GiB | peak RSS GiB | transformer work (attn/ff rows) | PSNR vs 1st |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for result in results:
        summary = result["summary"]
        work = result.get("transformer_work")
        work_text = f"{work['attention_rows']}/{work['feedforward_rows']}" if work else "-"
        lines.append(
            f"| {result['label']} | {_seconds(result['load_seconds'])} | {_seconds(summary['seconds_per_step'])} "
            f"| {_seconds(summary['denoise_seconds'])} | {_seconds(summary['decode_seconds'])} "
            f"| {_seconds(summary['encode_seconds'])} | {_seconds(summary['end_to_end_seconds'])} "
            f"| {_ratio(base['end_to_end_seconds'], summary['end_to_end_seconds'])} "
            f"| {_gib(summary.get('peak_gpu_bytes'))} | {_gib(summary.get('peak_rss_bytes'))} | {work_text} "
            f"| {_psnr(result.get('psnr_vs_baseline_db')) if result is not results[0] else 'reference'} |"
        )
    return "\n".join(lines)


def engine_markdown(results: list[dict], command: str) -> str:
    first = results[0]
    config = first["config"]
    return "\n".join(
        [
            f"# Engine benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine_line(first['machine'])}",
            "",
            f"Model `{config['model']}` on {first['device']} ({first['dtype']}), {config['width']}x{config['height']}, "
            f"{config['frames']} frames, {config['steps']} steps, guidance {config['guidance_scale']}, seed "
            f"{config['seed']}; median of {config['repeats']} timed runs x {first.get('rounds', 1)} interleaved round(s), "
            f"after {config['warmup_runs']} warm-up run(s), each configuration in a fresh process. End-to-end = generate (text encode + denoise + VAE decode) + "
            "MP4/poster encode; load includes the compile warm-up when compile is on.",
            "",
            f"Command: `{command}`",
            "",
            engine_table(results),
            "",
        ]
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "run"


def write_results(folder: Path, name: str, payload: dict, markdown: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{slug(name)}"
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path
