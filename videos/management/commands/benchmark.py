"""`python manage.py benchmark`: measure the engine (one configuration, or several side by side)
and the service (HTTP + queue overhead, dispatch latency, warm model, API load).

Examples (more in benchmarks/README.md):
    python manage.py benchmark --model tiny-random --size 64x64 --frames 9 --steps 8 \\
        --compare cache_method=pab --compare cache_method=firstblock
    python manage.py benchmark --model THUDM/CogVideoX-2b --size 720x480 --frames 49 --steps 50 \\
        --compare memory_mode=model_offload --compare cache_method=fastercache,compile=1
    python manage.py benchmark --service overhead,dispatch,status
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from benchmarks import engine_bench, report
from benchmarks.quality import psnr
from videos.generation.acceleration import CACHE_METHODS, QUANTIZE_MODES
from videos.generation.memory import MEMORY_MODES

SERVICE_SCENARIOS = ("overhead", "dispatch", "reuse", "status", "decode_cancel", "object_store")


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise CommandError(f"--size must look like 720x480, got {text!r}") from None
    if width % 16 or height % 16 or width < 16 or height < 16:
        raise CommandError("--size sides must be multiples of 16")
    return width, height


class Command(BaseCommand):
    help = "Benchmark the generation engine (configurations side by side) or the service."

    def add_arguments(self, parser) -> None:
        engine = parser.add_argument_group("engine benchmark")
        engine.add_argument("--model", default="tiny-random", help="tiny-random, a hub id, or a local folder")
        engine.add_argument("--size", default="64x64", help="WxH (multiples of 16)")
        engine.add_argument("--frames", type=int, default=9, help="frames (8 x seconds + 1)")
        engine.add_argument("--steps", type=int, default=8)
        engine.add_argument("--memory-mode", default="none", choices=MEMORY_MODES)
        engine.add_argument("--cache-method", default="off", choices=CACHE_METHODS)
        engine.add_argument("--compile", action="store_true", help="torch.compile the transformer (with warm-up)")
        engine.add_argument("--quantize", default="none", choices=QUANTIZE_MODES)
        engine.add_argument("--firstblock-threshold", type=float, default=0.05)
        engine.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
        engine.add_argument(
            "--gpu-budget-gib", type=float, default=0.0, help="emulate a GPU with this much free memory (0: all)"
        )
        engine.add_argument("--repeats", type=int, default=3, help="timed runs per configuration")
        engine.add_argument("--warmup-runs", type=int, default=1, help="untimed runs before timing")
        engine.add_argument("--rounds", type=int, default=1, help="run the configurations this many times, interleaved")
        engine.add_argument("--seed", type=int, default=42)
        engine.add_argument("--guidance-scale", type=float, default=6.0)
        engine.add_argument(
            "--compare",
            action="append",
            default=[],
            metavar="KEY=VALUE[,KEY=VALUE]",
            help="another configuration: the first one with these changes (repeatable), e.g. "
            "cache_method=pab or memory_mode=model_offload,compile=1",
        )
        service = parser.add_argument_group("service benchmark")
        service.add_argument(
            "--service",
            default="",
            help=f"comma-separated scenarios instead of the engine benchmark: {', '.join(SERVICE_SCENARIOS)}",
        )
        service.add_argument("--jobs", type=int, default=20, help="jobs per service scenario")
        service.add_argument(
            "--job-size", default="384x384", help="WxH of the overhead scenario's jobs (a few seconds each)"
        )
        service.add_argument("--job-steps", type=int, default=8, help="steps of the overhead scenario's jobs")
        service.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Redis for the dispatch run")
        service.add_argument("--status-jobs", type=int, default=10000)
        service.add_argument("--clients", type=int, default=32)
        service.add_argument(
            "--download-clients", type=int, default=16, help="object_store: clients downloading at once"
        )
        service.add_argument("--duration", type=int, default=20, help="seconds per load-test endpoint")
        parser.add_argument("--output-dir", default=str(Path(settings.BASE_DIR) / "benchmarks" / "results"))
        parser.add_argument("--name", default="", help="name part of the result files")
        parser.add_argument("--child", help="(internal) run one configuration, JSON")
        parser.add_argument("--child-output", help="(internal) where the child writes its result")

    def handle(self, *args, **options) -> None:
        if options["child"]:
            engine_bench.child_main(options["child"], options["child_output"])
            return
        command = "python manage.py benchmark " + " ".join(shlex.quote(arg) for arg in sys.argv[2:])
        if options["service"]:
            from benchmarks import service_bench

            scenarios = [name.strip() for name in options["service"].split(",") if name.strip()]
            unknown = sorted(set(scenarios) - set(SERVICE_SCENARIOS))
            if unknown:
                raise CommandError(f"unknown scenario(s) {', '.join(unknown)}; use {', '.join(SERVICE_SCENARIOS)}")
            service_bench.run_scenarios(scenarios, options, command, self.stdout)
            return
        self.run_engine(options, command)

    def run_engine(self, options: dict, command: str) -> None:
        width, height = _size(options["size"])
        base = engine_bench.BenchConfig(
            model=options["model"],
            width=width,
            height=height,
            frames=options["frames"],
            steps=options["steps"],
            memory_mode=options["memory_mode"],
            cache_method=options["cache_method"],
            compile=options["compile"],
            quantize=options["quantize"],
            device=options["device"],
            repeats=options["repeats"],
            warmup_runs=options["warmup_runs"],
            guidance_scale=options["guidance_scale"],
            seed=options["seed"],
            firstblock_threshold=options["firstblock_threshold"],
            gpu_budget_gib=options["gpu_budget_gib"],
        )
        try:
            configs = [base] + [base.with_overrides(text) for text in options["compare"]]
        except (ValueError, TypeError) as exc:
            raise CommandError(str(exc)) from exc
        for config in configs:
            if (
                config.cache_method not in CACHE_METHODS
                or config.memory_mode not in MEMORY_MODES
                or config.quantize not in QUANTIZE_MODES
            ):
                raise CommandError(f"invalid configuration {config.label!r}")
        workdir = Path(tempfile.mkdtemp(prefix="cogvideo-bench-work-"))  # child results and frame dumps
        try:
            rounds: list[list[dict]] = [[] for _ in configs]
            # With --rounds N the whole list runs N times, interleaved: on a shared machine the load
            # drifts over minutes, and interleaving spreads that drift over every configuration.
            for round_index in range(options["rounds"]):
                for index, config in enumerate(configs):
                    self.stdout.write(f"benchmarking {config.label} (round {round_index + 1}/{options['rounds']}) ...")
                    try:
                        result = engine_bench.run_in_child(config, workdir)
                    except RuntimeError as exc:
                        raise CommandError(str(exc)) from exc
                    rounds[index].append(result)
                    summary = result["summary"]
                    self.stdout.write(
                        f"  load {result['load_seconds']:.2f}s, {summary['seconds_per_step']:.4f} s/step, "
                        f"end-to-end {summary['end_to_end_seconds']:.3f}s"
                    )
            results = [engine_bench.merge_rounds(per_config) for per_config in rounds]
            self._add_psnr(results)
            for result in results:
                result.pop("frames_path", None)  # a scratch file, gone after this run
            markdown = report.engine_markdown(results, command)
            name = options["name"] or f"engine-{base.model}-{width}x{height}x{base.frames}x{base.steps}"
            payload = {"kind": "engine", "command": command, "results": results}
            json_path, md_path = report.write_results(Path(options["output_dir"]), name, payload, markdown)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.stdout.write("\n" + report.engine_table(results) + "\n")
        if len(results) > 1:
            base_e2e = results[0]["summary"]["end_to_end_seconds"]
            for result in results[1:]:
                ratio = base_e2e / result["summary"]["end_to_end_seconds"]  # medians over all rounds
                self.stdout.write(f"{result['label']} vs {results[0]['label']}: {ratio:.2f}x end-to-end speed")
        self.stdout.write(f"wrote {json_path} and {md_path}")

    @staticmethod
    def _add_psnr(results: list[dict]) -> None:
        import numpy as np

        if not results[0].get("frames_path"):
            return
        reference = np.load(results[0]["frames_path"])
        for result in results[1:]:
            if result.get("frames_path") and result["frames_shape"] == results[0]["frames_shape"]:
                result["psnr_vs_baseline_db"] = psnr(reference, np.load(result["frames_path"]))
