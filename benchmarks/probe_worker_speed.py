"""Is the engine slower inside a django-q2 worker than in a plain process?

Starts the benchmark service (gunicorn + one django-q2 worker, tiny model, throwaway data
folder), runs `probe_generate` inside the worker through `async_task` (no job machinery, just
the loaded engine), then the same in this process, and prints the medians. Usage:

    COGVIDEO_MODEL=tiny-random COGVIDEO_DEVICE=cpu .venv/bin/python benchmarks/probe_worker_speed.py [WxH] [steps] [runs]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogvideo_site.settings")

import django  # noqa: E402

django.setup()

from benchmarks.service_bench import BenchService, probe_generate  # noqa: E402


def main() -> None:
    size = sys.argv[1] if len(sys.argv) > 1 else "384x384"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    width, height = (int(part) for part in size.split("x"))
    with BenchService(label="probe").start() as service:
        code = (
            "from django_q.tasks import async_task, result\nimport json, time\n"
            f"t = async_task('benchmarks.service_bench.probe_generate', {width}, {height}, {steps}, {runs})\n"
            "r = None\nfor _ in range(600):\n    r = result(t)\n    if r is not None: break\n    time.sleep(0.5)\n"
            "print(json.dumps(r))\n"
        )
        worker = json.loads(service.manage("shell", "-c", code).strip().splitlines()[-1])
        direct = probe_generate(width, height, steps, runs)  # same moment, service idle
    for name, rows in (("in the django-q2 worker", worker), ("in this process", direct)):
        medians = {
            key: round(statistics.median(row[key] for row in rows[1:]), 3)
            for key in ("denoise_seconds", "decode_seconds", "generate_seconds")
        }
        print(f"{name}: {medians}")


if __name__ == "__main__":
    main()
