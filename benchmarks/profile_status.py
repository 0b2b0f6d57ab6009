"""Where the time of GET /api/status/{id} goes, next to the trivial GET /api/bench/ping.

Runs both endpoints in-process (Django's test client, no HTTP, one thread) against a throwaway
database with many jobs, measures CPU time per request, then profiles the status endpoint and
splits its time into the parts of the request. Usage (from the repository root):

    .venv/bin/python benchmarks/profile_status.py                 # throttles as configured
    COGVIDEO_BENCH_NO_THROTTLE=1 .venv/bin/python benchmarks/profile_status.py

Writes benchmarks/results/<time>-profile-status-<variant>.md and prints it.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["COGVIDEO_DATA_DIR"] = tempfile.mkdtemp(prefix="cogvideo-profile-")
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
os.environ["COGVIDEO_ALLOWED_HOSTS"] = "testserver"
os.environ["COGVIDEO_LOG_LEVEL"] = "WARNING"
os.environ.setdefault("COGVIDEO_THROTTLE_BURST", "100000000/minute")
os.environ.setdefault("COGVIDEO_THROTTLE_SUSTAINED", "100000000/day")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.machine import describe_machine, machine_line  # noqa: E402
from benchmarks.report import write_results  # noqa: E402
from benchmarks.service_bench import seed_jobs  # noqa: E402

JOBS = int(os.environ.get("PROFILE_JOBS", "10000"))
REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "1000"))
# The parts of a request, by the function that does each (cumulative time).
PARTS = [
    ("token authentication (1 query)", "authentication.py", "authenticate_credentials"),
    ("throttles (cache read + write)", "rest_framework/views.py", "check_throttles"),
    ("access_job: permission-checked fetch (1 query, video + template joined)", "videos/access.py", "access_job"),
    ("SQL compilation of both queries (Django ORM as_sql; inside the two rows above)", "sql/compiler.py", "as_sql"),
    ("job_status_body (URLs, timestamps, dict)", "videos/selectors.py", "job_status_body"),
    ("JSON rendering", "rest_framework/renderers.py", "render"),
]


def per_request_ms(client: Client, paths, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        response = client.get(paths())
        assert response.status_code == 200, response.content[:300]
    return (time.process_time() - started) / count * 1000


def main() -> None:
    variant = "throttles off" if os.environ.get("COGVIDEO_BENCH_NO_THROTTLE") == "1" else "throttles on"
    call_command("migrate", verbosity=0)
    out = io.StringIO()
    call_command("create_api_token", "bench", "--rotate", stdout=out, stderr=open(os.devnull, "w"))  # noqa: SIM115
    ids = seed_jobs("bench", JOBS)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip().splitlines()[-1]}")
    rng = random.Random(0)

    def ping() -> str:
        return "/api/bench/ping"

    def status() -> str:
        return f"/api/status/{rng.choice(ids)}"

    per_request_ms(client, ping, 200)  # warm both paths up
    per_request_ms(client, status, 200)
    timings = {"ping": [], "status": []}
    for order in (("ping", "status"), ("status", "ping")):
        for name in order:
            timings[name].append(per_request_ms(client, ping if name == "ping" else status, REQUESTS // 2))
    ping_ms, status_ms = (sum(values) / len(values) for values in (timings["ping"], timings["status"]))

    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()  # cProfile's clock: the shares below are of wall time
    for _ in range(REQUESTS // 2):
        client.get(status())
    total = time.perf_counter() - started
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    rows = []
    for label, file_part, function in PARTS:
        seconds = max(
            (
                value[3]
                for (filename, _line, name), value in stats.items()
                if file_part in filename and name == function
            ),
            default=0.0,
        )
        if function == "as_sql":  # sum over all compilations in the request
            seconds = sum(
                value[3]
                for (filename, _line, name), value in stats.items()
                if file_part in filename and name == function
            )
        rows.append((label, seconds))
    machine = describe_machine(include_gpu=False)
    lines = [
        f"# Profile of GET /api/status ({variant})",
        "",
        f"Machine: {machine_line(machine)}",
        "",
        "Command: `"
        + ("COGVIDEO_BENCH_NO_THROTTLE=1 " if variant == "throttles off" else "")
        + ".venv/bin/python benchmarks/profile_status.py`",
        "",
        f"In-process (Django test client, no HTTP), {JOBS} jobs in SQLite, CPU time per request averaged over "
        f"{REQUESTS} requests each: **ping {ping_ms:.2f} ms, status {status_ms:.2f} ms** "
        f"(status/ping CPU ratio {ping_ms / status_ms:.2f}, which bounds the throughput ratio on a CPU-bound "
        "server).",
        "",
        f"Where a status request's time goes (cProfile, {REQUESTS // 2} requests, {total * 1000 / (REQUESTS // 2):.2f} "
        "ms wall time per request under the profiler, one thread):",
        "",
        "| part | share of the request |",
        "|---|---:|",
        *(f"| {label} | {seconds / total * 100:.0f}% |" for label, seconds in rows),
        "",
    ]
    markdown = "\n".join(lines)
    payload = {
        "variant": variant,
        "jobs": JOBS,
        "requests": REQUESTS,
        "ping_cpu_ms": ping_ms,
        "status_cpu_ms": status_ms,
        "status_parts_share": {label: seconds / total for label, seconds in rows},
        "machine": machine,
    }
    write_results(ROOT / "benchmarks" / "results", f"profile-status-{variant}", payload, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
