"""`manage.py benchmark`: runs real configurations in child processes and writes JSON +
markdown. What is checked is what it reports, never how fast anything was."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from benchmarks.engine_bench import BenchConfig
from benchmarks.service_bench import _wrk_seconds, seed_jobs
from videos.models import JobStatus, Video, VideoJob


def test_engine_benchmark_compares_two_configurations_side_by_side(tmp_path):
    out = io.StringIO()
    call_command(
        "benchmark",
        size="64x64",
        frames=9,
        steps=4,
        repeats=1,
        warmup_runs=1,
        compare=["cache_method=pab"],
        output_dir=str(tmp_path),
        stdout=out,
    )
    [json_file] = tmp_path.glob("*.json")
    [md_file] = tmp_path.glob("*.md")
    payload = json.loads(json_file.read_text())
    baseline, cached = payload["results"]
    assert (baseline["label"], cached["label"]) == ("none cache=off", "none cache=pab")
    for result in (baseline, cached):
        summary = result["summary"]
        assert result["load_seconds"] > 0 and result["device"] == "cpu"
        assert summary["seconds_per_step"] > 0 and summary["decode_seconds"] > 0 and summary["encode_seconds"] > 0
        assert summary["end_to_end_seconds"] >= summary["generate_seconds"] > summary["denoise_seconds"]
        assert summary["peak_rss_bytes"] > 50 * 2**20 and summary["peak_gpu_bytes"] is None
        assert result["frames_shape"] == [9, 64, 64, 3]
        assert result["machine"]["cpu_count"] >= 1 and result["machine"]["versions"]["diffusers"]
    # 4 steps x 2 blocks x 2 guidance rows; PAB reuses attention on some of them.
    assert baseline["transformer_work"] == {"attention_rows": 16, "feedforward_rows": 16}
    assert cached["transformer_work"]["attention_rows"] < 16
    assert 20 < cached["psnr_vs_baseline_db"] < float("inf")
    markdown = md_file.read_text()
    assert "| none cache=pab |" in markdown and "Machine: " in markdown and "python manage.py benchmark" in markdown
    assert "none cache=pab vs none cache=off:" in out.getvalue() and "x end-to-end speed" in out.getvalue()
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".json", ".md"]  # nothing else left here


def test_compare_accepts_typed_overrides():
    config = BenchConfig().with_overrides("cache_method=firstblock, compile=1, steps=50, firstblock_threshold=0.1")
    assert (config.cache_method, config.compile, config.steps, config.firstblock_threshold) == (
        "firstblock",
        True,
        50,
        0.1,
    )
    assert config.label == "none cache=firstblock@0.1 compile"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"compare": ["speed=11"]}, "key=value pairs with keys from"),
        ({"compare": ["compile=maybe"]}, "not a boolean"),
        ({"compare": ["cache_method=turbo"]}, "invalid configuration"),
        ({"size": "100x64"}, "multiples of 16"),
        ({"size": "big"}, "--size must look like 720x480"),
        ({"service": "everything"}, "unknown scenario(s) everything"),
    ],
)
def test_bad_options_are_clear_errors(options, message, tmp_path):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("benchmark", output_dir=str(tmp_path), stdout=io.StringIO(), **options)
    assert not list(tmp_path.glob("*.json"))


def test_status_load_seeding_makes_a_busy_database(owner):
    ids = seed_jobs(owner.username, 200)
    assert len(ids) == len(set(ids)) == 200
    completed = VideoJob.objects.filter(owner=owner, status=JobStatus.COMPLETED).count()
    assert 150 < completed < 200 and Video.objects.filter(owner=owner).count() == completed
    assert VideoJob.objects.filter(owner=owner, status=JobStatus.FAILED).exists()


@pytest.mark.parametrize(("text", "seconds"), [("850.00us", 0.00085), ("13.49ms", 0.01349), ("1.28s", 1.28)])
def test_wrk_latencies_are_read_with_their_units(text, seconds):
    assert _wrk_seconds(text) == pytest.approx(seconds)
