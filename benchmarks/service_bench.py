"""Service benchmarks against the real production setup: gunicorn (as launch.py runs it) and a
django-q2 cluster as subprocesses on a throwaway data folder, the tiny model, real HTTP.

overhead  jobs through HTTP + queue + worker vs the same generation called directly in this
          (warm) process, alternating one of each so both see the same machine load; also the
          warm-model check (one load for all jobs) and the dispatch latency with the ORM broker
dispatch  POST answered -> the worker starts denoising, small jobs, ORM broker and Redis broker
status    GET /api/status/{id} under concurrent clients (wrk) with many jobs in the database,
          against the trivial authenticated /api/bench/ping on the same server
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from django.conf import settings

from cogvideo_site.launcher import ServiceProcesses, free_port, web_command
from monitoring.stats import percentile
from videos.isotime import parse_iso_z

from .machine import describe_machine, machine_line
from .report import write_results

ROOT = Path(settings.BASE_DIR)
WEB_WORKERS = "2"  # launch.py's default (COGVIDEO_WEB_WORKERS)
WEB_THREADS = "4"


def _stats(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p90": percentile(sorted(values), 0.9),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


class BenchService:
    """gunicorn + qcluster on their own data folder, the way launch.py starts them."""

    def __init__(
        self, *, redis_url: str = "", throttle: bool = True, label: str = "orm", extra_env: dict | None = None
    ):
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"cogvideo-bench-{label}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
            "COGVIDEO_DATA_DIR": str(self.data_dir),
            "COGVIDEO_MODEL": "tiny-random",
            "COGVIDEO_DEVICE": "cpu",
            "COGVIDEO_WORKERS": "1",
            "COGVIDEO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "COGVIDEO_QUEUE_NAME": f"cogvideo-bench-{os.getpid()}-{label}",
            # The benchmark's own clients exceed a person's rates; raise them (the throttle
            # classes still run on every request) or, with throttle=False, leave them out.
            "COGVIDEO_THROTTLE_BURST": "100000000/minute",
            "COGVIDEO_THROTTLE_SUSTAINED": "100000000/day",
            "COGVIDEO_THROTTLE_GENERATE": "100000/minute",
            "COGVIDEO_MAX_QUEUED_PER_USER": "100000",
            "COGVIDEO_MAX_QUEUED_TOTAL": "100000",
            "COGVIDEO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.update(extra_env or {})
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        else:
            self.env.pop("REDIS_URL", None)
        if not throttle:
            self.env["COGVIDEO_BENCH_NO_THROTTLE"] = "1"
        # The same commands as launch.py (cogvideo_site/launcher.py).
        self.processes = ServiceProcesses(self.env, logs=self.data_dir, stop_timeouts={"cluster": 30, "web": 30})
        self.token = ""

    def manage(self, *args: str) -> str:
        completed = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600
        )
        if completed.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{completed.stderr[-3000:]}")
        return completed.stdout

    def start(self, *, worker: bool = True) -> BenchService:
        self.manage("migrate", "--noinput", "-v0")
        self.token = self.manage("create_api_token", "bench").strip().splitlines()[-1]
        self.processes.start_web(f"127.0.0.1:{self.port}", workers=int(WEB_WORKERS), threads=int(WEB_THREADS))
        if worker:
            self.processes.start_cluster()
        self.processes.wait_until_healthy(self.url, timeout=120)
        if worker:
            self.wait_for_model()
        return self

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)

    def workers(self) -> list[dict]:
        with self.client() as client:
            return client.get("/api/system/status").json()["workers"]["list"]

    def wait_for_model(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(worker["model_loaded"] for worker in self.workers()):
                return
            time.sleep(0.5)
        raise RuntimeError("the worker did not load the model:\n" + self.log("cluster"))

    def log(self, name: str) -> str:
        return self.processes.log(name, tail=4000)

    def stop(self) -> None:
        self.processes.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> BenchService:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def _parse_time(value: str) -> float:
    return parse_iso_z(value).timestamp()


def submit_and_wait(client: httpx.Client, body: dict, poll: float = 1.0) -> dict:
    """POST a job, wait for it to finish; times come from this host's clock and the job row, so
    the polling interval does not add to them (it polls slowly: on a small machine each poll
    takes CPU from the worker being measured)."""
    sent = time.time()
    response = client.post("/api/generate", json=body)
    answered = time.time()
    if response.status_code != 200:
        raise RuntimeError(f"POST /api/generate answered {response.status_code}: {response.text[:500]}")
    task_id = response.json()["task_id"]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = client.get(f"/api/status/{task_id}").json()
        if status["status"] in {"completed", "failed", "canceled"}:
            break
        time.sleep(poll)
    else:
        raise RuntimeError(f"job {task_id} did not finish")
    if status["status"] != "completed":
        raise RuntimeError(f"job {task_id} {status['status']}: {status.get('error')}")
    timings = status["params"].get("timings", {})
    return {
        "task_id": task_id,
        "post_seconds": answered - sent,
        "end_to_end_seconds": _parse_time(status["finished_at"]) - sent,
        "dispatch_seconds": timings["denoise_started_unix"] - answered,
        "worker_seconds": timings.get("total_seconds"),
        "denoise_seconds": timings.get("denoise_seconds"),
        "decode_seconds": timings.get("decode_seconds"),
        "encode_seconds": timings.get("encode_seconds"),
    }


def _job_body(size: str, steps: int) -> dict:
    # No seed: every job gets a random one and really generates (same-request reuse needs an
    # explicit seed). The direct call uses a fixed seed; the seed does not change the work.
    return {"prompt": "a red fox running through snow", "duration": 1, "resolution": size, "num_inference_steps": steps}


# --- scenarios ----------------------------------------------------------------------------------


def overhead(options: dict, out) -> dict:
    from videos.generation.encoding import write_mp4, write_poster
    from videos.generation.engine import GenerationRequest, load_engine

    size, steps, jobs = options["job_size"], options["job_steps"], options["jobs"]
    width, height = (int(part) for part in size.split("x"))
    engine = load_engine("tiny-random", "none", "cpu")
    request = GenerationRequest("a red fox running through snow", "", width, height, 9, steps, 6.0, 7)
    scratch = Path(tempfile.mkdtemp(prefix="cogvideo-direct-"))

    def direct() -> float:
        started = time.perf_counter()
        output = engine.generate(request)
        write_mp4(output.frames, 8, scratch / "direct.mp4")
        write_poster(output.frames, scratch / "direct.jpg")
        return time.perf_counter() - started

    direct()  # the first run in a process initialises kernels; the worker's first job pays it too
    service_runs, direct_runs = [], []
    try:
        with BenchService(label="overhead").start() as service, service.client() as client:
            loads_before = sum(worker["model_loads"] for worker in service.workers())
            for index in range(jobs):
                service_runs.append(submit_and_wait(client, _job_body(size, steps)))
                direct_runs.append(direct())
                out.write(
                    f"  job {index + 1}/{jobs}: service {service_runs[-1]['end_to_end_seconds']:.3f}s, "
                    f"direct {direct_runs[-1]:.3f}s, dispatch {service_runs[-1]['dispatch_seconds'] * 1000:.0f} ms"
                )
            time.sleep(2 * settings.COGVIDEO_HEARTBEAT_SECONDS)  # the run count comes with the heartbeat
            workers = service.workers()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    warm_service = [run["end_to_end_seconds"] for run in service_runs[1:]]
    warm_direct = direct_runs[1:]
    # On a busy machine the same generation varies by seconds from run to run, which swamps a
    # wall-clock ratio. The service's own cost does not: per job, end-to-end minus the worker's
    # generate + encode time is everything the service adds (HTTP, queue, dispatch, progress
    # writes, storage, bookkeeping).
    added = [
        run["end_to_end_seconds"] - run["worker_seconds"] - run["encode_seconds"]
        for run in service_runs[1:]
        if run.get("worker_seconds") is not None and run.get("encode_seconds") is not None
    ]
    return {
        "service_added_seconds": _stats(added),
        "ratio_by_added_time": 1 + statistics.median(added) / statistics.median(warm_direct) if added else None,
        "job": {"resolution": size, "frames": 9, "steps": steps, "jobs": jobs},
        "service_end_to_end": _stats(warm_service),
        "direct_end_to_end": _stats(warm_direct),
        "ratio_median": statistics.median(warm_service) / statistics.median(warm_direct),
        "first_job": {"service": service_runs[0]["end_to_end_seconds"], "direct": direct_runs[0]},
        "dispatch_orm": _stats([run["dispatch_seconds"] for run in service_runs]),
        "post_seconds": _stats([run["post_seconds"] for run in service_runs]),
        "worker_breakdown": {
            name: _stats([run[name] for run in service_runs[1:] if run.get(name) is not None])
            for name in ("worker_seconds", "denoise_seconds", "decode_seconds", "encode_seconds")
        },
        "model_loads_before_jobs": loads_before,
        "model_loads_after_jobs": sum(worker["model_loads"] for worker in workers),
        "pipeline_runs": sum(worker["pipeline_runs"] for worker in workers),
        "runs": {"service": service_runs, "direct": direct_runs},
    }


def dispatch(options: dict, out) -> dict:
    results = {}
    for broker, redis_url in (("orm", ""), ("redis", options["redis_url"])):
        if redis_url:
            import redis

            redis.Redis.from_url(redis_url).ping()  # a clear error when Redis is not there
        with BenchService(redis_url=redis_url, label=broker).start() as service, service.client() as client:
            submit_and_wait(client, _job_body("64x64", 2))  # warm-up
            runs = [submit_and_wait(client, _job_body("64x64", 2)) for _ in range(options["jobs"])]
        latencies = [run["dispatch_seconds"] for run in runs]
        results[broker] = {"dispatch": _stats(latencies), "post_seconds": _stats([r["post_seconds"] for r in runs])}
        out.write(f"  {broker}: dispatch median {statistics.median(latencies) * 1000:.0f} ms")
    return results


def seed_jobs(username: str, count: int) -> list[str]:
    """Fill the database with `count` jobs of `username` (mostly completed, with videos), the
    way a busy installation looks; returns their ids. Run inside the service's environment."""
    import random
    import uuid

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from videos.models import JobStatus, Video, VideoJob

    owner = get_user_model().objects.get(username=username)
    rng = random.Random(0)
    now = timezone.now()
    jobs, videos = [], []
    for index in range(count):
        roll = rng.random()
        status = (
            JobStatus.COMPLETED
            if roll < 0.9
            else JobStatus.FAILED
            if roll < 0.95
            else JobStatus.CANCELED
            if roll < 0.99
            else JobStatus.QUEUED
        )
        job = VideoJob(
            id=uuid.uuid4(),
            owner=owner,
            status=status,
            prompt=f"benchmark prompt {index}: a red fox running through snow at dawn",
            params={"model": "tiny-random", "width": 720, "height": 480, "num_frames": 49, "fps": 8, "seed": index},
            progress=100 if status == JobStatus.COMPLETED else 0,
            total_steps=50,
            stage=status,
            error="Generation failed: example" if status == JobStatus.FAILED else "",
            finished_at=now if status != JobStatus.QUEUED else None,
        )
        jobs.append(job)
        if status == JobStatus.COMPLETED:
            videos.append(
                Video(job=job, owner=owner, file=f"videos/bench/{job.id}.mp4", poster=f"videos/bench/{job.id}.jpg",
                      width=720, height=480, frames=49, fps=8, size_bytes=1_000_000, sha256="0" * 64)
            )  # fmt: skip
    VideoJob.objects.bulk_create(jobs, batch_size=500)
    Video.objects.bulk_create(videos, batch_size=500)
    return [str(job.id) for job in jobs]


_WRK_SCRIPT = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
wrk.headers["Authorization"] = "Bearer %(token)s"
math.randomseed(%(seed)d)
request = function()
  local path = "%(path)s"
  if #ids > 0 and path:find("{id}") then path = path:gsub("{id}", ids[math.random(#ids)]) end
  return wrk.format("GET", path)
end
"""

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _wrk_seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(service: BenchService, path: str, ids_file: Path, clients: int, duration: int) -> dict:
    """One wrk run (2 threads, `clients` connections); the token goes in through a script file
    readable by this user only, never on a command line."""
    script = ids_file.parent / f"wrk-{secrets.token_hex(4)}.lua"
    fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_WRK_SCRIPT % {"ids": ids_file, "token": service.token, "seed": 1, "path": path})
    try:
        output = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", str(script),
             service.url],
            capture_output=True, text=True, check=True, timeout=duration + 120,
        ).stdout  # fmt: skip
    finally:
        script.unlink(missing_ok=True)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if set(latency) != {"50", "75", "90", "99"} or "Requests/sec" not in output:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "path": path,
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_seconds": _wrk_seconds(latency["50"]),
        "p90_seconds": _wrk_seconds(latency["90"]),
        "p99_seconds": _wrk_seconds(latency["99"]),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "raw": output,
    }


def status_load(options: dict, out) -> dict:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk; scripts/install_system_packages.sh)")
    results = {}
    for variant, throttle in (("throttles on", True), ("throttles off", False)):
        # The cluster runs too (idle), as launch.py runs it: production is web + worker.
        with BenchService(throttle=throttle, label="status").start(worker=True) as service:
            ids = json.loads(
                service.manage(
                    "shell", "-c",
                    "import json; from benchmarks.service_bench import seed_jobs; "
                    f"print(json.dumps(seed_jobs('bench', {options['status_jobs']})))",
                ).strip().splitlines()[-1]
            )  # fmt: skip
            ids_file = service.data_dir / "ids.txt"
            ids_file.write_text("\n".join(ids) + "\n")
            with service.client() as client:  # every id answers 200 before we measure
                assert client.get(f"/api/status/{ids[0]}").status_code == 200
                assert client.get("/api/bench/ping").status_code == 200
            rounds = {"ping": [], "status": []}
            # ping, status, status, ping: a drift in the machine's load, or in the throttles'
            # per-token request history (it grows with every request), hits both alike.
            endpoints = {"ping": "/api/bench/ping", "status": "/api/status/{id}"}
            for name in ("ping", "status", "status", "ping"):
                result = run_wrk(service, endpoints[name], ids_file, options["clients"], options["duration"])
                rounds[name].append(result)
                out.write(
                    f"  {variant} {name}: {result['requests_per_second']:.0f} req/s, "
                    f"p50 {result['p50_seconds'] * 1000:.1f} ms, p99 {result['p99_seconds'] * 1000:.1f} ms, "
                    f"non-2xx {result['non_2xx']}"
                )
        summary = {
            name: {
                "requests_per_second": statistics.fmean(r["requests_per_second"] for r in runs),
                "p50_seconds": statistics.fmean(r["p50_seconds"] for r in runs),
                "p99_seconds": statistics.fmean(r["p99_seconds"] for r in runs),
                "non_2xx": sum(r["non_2xx"] for r in runs),
            }
            for name, runs in rounds.items()
        }
        summary["ratio"] = summary["status"]["requests_per_second"] / summary["ping"]["requests_per_second"]
        results[variant] = {"summary": summary, "runs": rounds}
    return {
        "jobs_in_database": options["status_jobs"],
        "clients": options["clients"],
        "duration_seconds": options["duration"],
        "web": f"gunicorn --workers {WEB_WORKERS} --threads {WEB_THREADS} (launch.py's defaults), SQLite (WAL)",
        "variants": results,
    }


def reuse(options: dict, out) -> dict:
    """Same-request reuse over HTTP: after one explicit-seed job completed, identical requests
    are answered completed, with the same video, in the POST answer itself."""
    body = {**_job_body("64x64", 2), "seed": 4242}
    with BenchService(label="reuse").start() as service, service.client() as client:
        original = submit_and_wait(client, body)
        video_id = client.get(f"/api/status/{original['task_id']}").json()["video_id"]
        runs_before = sum(worker["pipeline_runs"] for worker in service.workers())
        latencies, answers = [], []
        for _ in range(options["jobs"]):
            sent = time.perf_counter()
            response = client.post("/api/generate", json=body)
            latencies.append(time.perf_counter() - sent)
            answers.append(response.json())
        random_seed = client.post("/api/generate", json=_job_body("64x64", 2)).json()
        time.sleep(2 * settings.COGVIDEO_HEARTBEAT_SECONDS)  # let the heartbeat report the run count
        workers = service.workers()
    reused = [a for a in answers if a["status"] == "completed" and a["video_id"] == video_id]
    out.write(
        f"  reuse: {len(reused)}/{len(answers)} answered at once, median {statistics.median(latencies) * 1000:.1f} ms"
    )
    return {
        "requests": len(answers),
        "answered_completed_with_existing_video": len(reused),
        "latency": _stats(latencies),
        "pipeline_runs_before": runs_before,
        "pipeline_runs_after": sum(worker["pipeline_runs"] for worker in workers),
        "random_seed_request_status": random_seed["status"],
    }


def _poll(client: httpx.Client, task_id: str, until, timeout: float = 600, interval: float = 0.05) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/status/{task_id}").json()
        if until(body):
            return body
        time.sleep(interval)
    raise RuntimeError(f"job {task_id} never reached the state waited for")


def decode_cancel(options: dict, out) -> dict:
    """CogVideoX-2b's rules on the tiny model (COGVIDEO_PROFILE=cogvideox-2b): one full
    512x512 job at 24 fps with a WebM (the stage times of a 720x480 render delivered fitted),
    then cancels during decoding: a 720x480 job is canceled as soon as its status says
    "decoding", the next job is posted at once; measured: cancel POST answered -> the next
    job's started_at (server clock, same host), and the decode chunk the worker stopped at."""
    body = {
        "prompt": "a red fox running through snow",
        "duration": 2,
        "resolution": "512x512",
        "num_inference_steps": 1,
    }
    rounds = max(1, min(options["jobs"], 5))
    with BenchService(label="decode-cancel", extra_env={"COGVIDEO_PROFILE": "cogvideox-2b"}).start() as service:
        with service.client() as client:
            full = client.post("/api/generate", json={**body, "duration": 1, "fps": 24, "formats": ["mp4", "webm"]})
            done = _poll(client, full.json()["task_id"], lambda b: b["status"] not in ("queued", "processing"))
            stages = {k: v for k, v in done["params"].get("timings", {}).items() if k.endswith("_seconds")}
            samples = []
            for _ in range(rounds):
                task_id = client.post("/api/generate", json=body).json()["task_id"]
                _poll(
                    client, task_id, lambda b: b["stage"] == "decoding" or b["status"] not in ("queued", "processing")
                )
                client.post(f"/api/cancel/{task_id}")
                canceled_at = time.time()
                next_id = client.post("/api/generate", json={**body, "duration": 1}).json()["task_id"]
                started = _poll(client, next_id, lambda b: b["status"] != "queued")
                freed = _parse_time(started["started_at"]) - canceled_at
                stopped = client.get(f"/api/status/{task_id}").json()["params"].get("canceled_in", {})
                samples.append({"cancel_to_next_job_started_seconds": freed, "canceled_in": stopped})
                client.post(f"/api/cancel/{next_id}")
                _poll(client, next_id, lambda b: b["status"] != "processing")
                out.write(f"  decode cancel: worker free after {freed:.2f} s, stopped at {stopped}")
    latencies = [sample["cancel_to_next_job_started_seconds"] for sample in samples]
    return {"full_job_status": done["status"], "full_job_stage_seconds": stages, "samples": samples,
            "cancel_to_next_job_started": _stats(latencies)}  # fmt: skip


# --- object store vs local disk ----------------------------------------------------------------

BIG_VIDEO = {"prompt": "a red fox running through snow", "duration": 6, "resolution": "720x480",
             "num_inference_steps": 1}  # fmt: skip
SEEK_RANGE = "bytes=500000-565535"  # 64 KiB from inside the file: what a player asks when it seeks


def download_load(service: BenchService, path: str, *, clients: int, per_client: int, follow: bool,
                  byte_range: str = "") -> dict:  # fmt: skip
    """`clients` curl processes at once, each downloading `path` `per_client` times over one
    connection (following a redirect with `follow`); curl reports each transfer's time to
    first byte (redirect included) and total. The token goes in through a header file readable
    by this user only, and curl does not send it on to another host when it follows."""
    headers = service.data_dir / f"curl-{secrets.token_hex(4)}.headers"
    fd = os.open(headers, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"Authorization: Bearer {service.token}\n" + (f"Range: {byte_range}\n" if byte_range else ""))
    argv = [
        "curl",
        "-s",
        "-S",
        "-H",
        f"@{headers}",
        "-w",
        "%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n",
        *(["-L"] if follow else []),
    ]
    argv += ["-o", "/dev/null", service.url + path] * per_client  # fmt: skip
    try:
        started = time.perf_counter()
        runs = [
            subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(clients)
        ]
        outputs = [run.communicate(timeout=600) for run in runs]
        wall = time.perf_counter() - started
    finally:
        headers.unlink(missing_ok=True)
    transfers = []
    for stdout, stderr in outputs:
        for line in stdout.split("\n"):
            if line.strip():
                code, ttfb, total, size = line.split()
                transfers.append({"status": int(code), "ttfb": float(ttfb), "total": float(total), "bytes": int(size)})
        if stderr.strip():
            raise RuntimeError(f"curl: {stderr.strip()[:500]}")
    statuses = sorted({t["status"] for t in transfers})
    total_bytes = sum(t["bytes"] for t in transfers)
    return {
        "clients": clients,
        "downloads": len(transfers),
        "statuses": statuses,
        "wall_seconds": wall,
        "throughput_mib_per_second": total_bytes / wall / 2**20,
        "downloads_per_second": len(transfers) / wall,
        "ttfb": _stats([t["ttfb"] for t in transfers]),
        "download_seconds": _stats([t["total"] for t in transfers]),
        "bytes_per_download": _stats([t["bytes"] for t in transfers]),
    }


def object_store(options: dict, out) -> dict:
    """Media on this machine's disk vs in an object store (SeaweedFS, a real S3 server on this
    machine, as the tests run it): one service of each, the tiny model, the ORM broker.

    1. Upload cost: `--jobs` small 64x64 jobs, then two 6 s 720x480 videos made by real jobs
       on each (1 step: the pixels do not matter); the worker's own `store_seconds` (save + the
       check after it, for the MP4, preview and poster) and each job's end-to-end time.
    2. Downloads of that 6 s 720x480 MP4 through the service: `--download-clients` clients at
       once, whole files and 64 KiB ranges, from the local disk (Django's FileResponse), from
       the object store streamed (COGVIDEO_DOWNLOAD_MODE=stream) and as a 302 to a presigned
       URL (redirect, a second gunicorn on the same service); rounds interleave the three, so
       the machine's load drifts over all alike."""
    from tests.support.object_store import SeaweedFS

    if not shutil.which("curl"):
        raise RuntimeError("curl is not installed")
    store_dir = Path(tempfile.mkdtemp(prefix="cogvideo-bench-seaweedfs-"))
    store = SeaweedFS(store_dir).start()
    small_jobs = max(2, min(options["jobs"], 11))
    clients, rounds = options["download_clients"], 3
    results: dict = {"upload": {}, "downloads": {}}
    try:
        with (
            BenchService(label="local-disk") as local,
            BenchService(label="object-store", extra_env=store.settings_env("bench")) as remote,
        ):
            local.start()
            remote.start()
            redirect_port = free_port()
            remote.processes.spawn(
                "web-redirect",
                web_command(f"127.0.0.1:{redirect_port}", workers=int(WEB_WORKERS), threads=int(WEB_THREADS)),
                COGVIDEO_DOWNLOAD_MODE="redirect",
            )
            redirect = _Alias(remote, f"http://127.0.0.1:{redirect_port}")
            remote.processes.wait_until_healthy(redirect.url, timeout=120)
            videos = {}
            for name, service in (("local disk", local), ("object store", remote)):
                with service.client() as client:

                    def store_seconds(run: dict) -> float:
                        return client.get(f"/api/status/{run['task_id']}").json()["params"]["timings"]["store_seconds"]

                    # Small jobs first: the worker's first upload also sets up its S3 client.
                    small = [submit_and_wait(client, _job_body("64x64", 2), poll=0.2) for _ in range(small_jobs)]
                    big = [submit_and_wait(client, BIG_VIDEO, poll=1.0) for _ in range(2)]
                    status = client.get(f"/api/status/{big[-1]['task_id']}").json()
                    first_store = store_seconds(small[0])
                    small_store = [store_seconds(run) for run in small[1:]]
                    big_store = [store_seconds(run) for run in big]
                videos[name] = status["video_id"]
                results["upload"][name] = {
                    "video_bytes": status["video"]["size_bytes"],
                    "first_job_store_seconds": first_store,
                    "big_jobs_store_seconds": _stats(big_store),
                    "big_jobs_end_to_end_seconds": _stats([run["end_to_end_seconds"] for run in big]),
                    "small_jobs_store_seconds": _stats(small_store),
                    "small_jobs_end_to_end_seconds": _stats([run["end_to_end_seconds"] for run in small[1:]]),
                }
                out.write(
                    f"  {name}: 720x480 6 s video {status['video']['size_bytes']} bytes, stored in "
                    f"{statistics.median(big_store) * 1000:.0f} ms (median of 2); small jobs' store median "
                    f"{statistics.median(small_store) * 1000:.1f} ms"
                )
            variants = {
                "local disk": (local, videos["local disk"], False),
                "object store, streamed": (remote, videos["object store"], False),
                "object store, presigned redirect": (redirect, videos["object store"], True),
            }
            loads = (
                ("whole file", "", clients, 8),
                ("whole file, one client", "", 1, 20),  # latency without queueing for a web thread
                ("64 KiB range", SEEK_RANGE, clients, 20),
            )
            for kind, byte_range, at_once, per_client in loads:
                runs: dict[str, list[dict]] = {name: [] for name in variants}
                for _round in range(rounds):
                    for name, (service, video_id, follow) in variants.items():
                        run = download_load(service, f"/api/download/{video_id}", clients=at_once,
                                            per_client=per_client, follow=follow, byte_range=byte_range)  # fmt: skip
                        runs[name].append(run)
                        out.write(
                            f"  {kind}, {name}: {run['throughput_mib_per_second']:.1f} MiB/s, "
                            f"TTFB p50 {run['ttfb']['median'] * 1000:.1f} ms, statuses {run['statuses']}"
                        )
                results["downloads"][kind] = {
                    name: {
                        "runs": found,
                        "throughput_mib_per_second": statistics.median(r["throughput_mib_per_second"] for r in found),
                        "downloads_per_second": statistics.median(r["downloads_per_second"] for r in found),
                        "ttfb_p50": statistics.median(r["ttfb"]["median"] for r in found),
                        "ttfb_p90": statistics.median(r["ttfb"]["p90"] for r in found),
                        "statuses": sorted({s for r in found for s in r["statuses"]}),
                    }
                    for name, found in runs.items()
                }
    finally:
        store.stop()
        shutil.rmtree(store_dir, ignore_errors=True)
    results["setup"] = {
        "clients": clients,
        "rounds": rounds,
        "web": f"gunicorn --workers {WEB_WORKERS} --threads {WEB_THREADS} (launch.py's defaults) per variant",
        "store": "SeaweedFS 4.48 (weed server -s3) on the same machine, loopback",
        "small_jobs": small_jobs,
    }
    return results


class _Alias:
    """Another web server of the same service (same token and data folder), at its own URL."""

    def __init__(self, service: BenchService, url: str):
        self.token, self.data_dir, self.url = service.token, service.data_dir, url


SCENARIOS = {
    "object_store": object_store,
    "overhead": overhead,
    "dispatch": dispatch,
    "status": status_load,
    "reuse": reuse,
    "decode_cancel": decode_cancel,
}


def service_markdown(results: dict, command: str, machine: dict) -> str:
    lines = [
        f"# Service benchmark {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"Machine: {machine_line(machine)}",
    ]
    lines += ["", f"Command: `{command}`", ""]
    ms = 1000
    if "overhead" in results:
        r = results["overhead"]
        job = r["job"]
        lines += [
            "## HTTP + queue vs a direct warm engine call",
            "",
            f"{job['jobs']} jobs of {job['resolution']}, {job['frames']} frames, {job['steps']} steps, tiny-random, one "
            "worker; service = POST sent -> job finished (the row's finished_at); direct = generate + MP4/poster "
            "encode in one warm process; alternating one of each. Medians over jobs 2..N.",
            "",
            "| | median s | p90 s | min s | max s |",
            "|---|---:|---:|---:|---:|",
            *(
                f"| {name} | {r[key]['median']:.3f} | {r[key]['p90']:.3f} | {r[key]['min']:.3f} | {r[key]['max']:.3f} |"
                for name, key in (("service (HTTP + queue)", "service_end_to_end"), ("direct", "direct_end_to_end"))
            ),
            "",
            f"**End-to-end ratio service/direct: {r['ratio_median']:.3f}** (wall clock, medians; target <= 1.05). "
            f"First job: service {r['first_job']['service']:.3f} s, direct {r['first_job']['direct']:.3f} s.",
            "",
            f"Time the service adds per job (end-to-end minus the worker's own generate + encode time): median "
            f"{r['service_added_seconds']['median'] * ms:.0f} ms, p90 {r['service_added_seconds']['p90'] * ms:.0f} ms; "
            f"**ratio by added time: {r['ratio_by_added_time']:.3f}** (1 + added / direct median).",
            "",
            f"Warm model: worker model loads before the jobs {r['model_loads_before_jobs']}, after "
            f"{job['jobs']} jobs {r['model_loads_after_jobs']} (pipeline runs {r['pipeline_runs']}).",
            "",
            f"Dispatch latency (ORM broker, these jobs): median {r['dispatch_orm']['median'] * ms:.0f} ms, p90 "
            f"{r['dispatch_orm']['p90'] * ms:.0f} ms. POST answered in median {r['post_seconds']['median'] * ms:.0f} ms.",
            "",
            "Worker-side breakdown (medians): "
            + ", ".join(
                f"{name.replace('_seconds', '')} {stats['median']:.3f} s"
                for name, stats in r["worker_breakdown"].items()
                if stats
            ),
            "",
        ]
    if "dispatch" in results:
        lines += [
            "## Dispatch latency: POST answered -> worker starts denoising",
            "",
            "| broker | jobs | median ms | p90 ms | min ms | max ms | target |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for broker, target in (("redis", "<= 100 ms"), ("orm", "<= 300 ms")):
            d = results["dispatch"][broker]["dispatch"]
            lines.append(
                f"| {broker} | {d['n']} | {d['median'] * ms:.0f} | {d['p90'] * ms:.0f} | {d['min'] * ms:.0f} "
                f"| {d['max'] * ms:.0f} | {target} |"
            )
        lines.append("")
    if "reuse" in results:
        r = results["reuse"]
        lines += [
            "## Same-request reuse",
            "",
            f"{r['requests']} POSTs identical to a completed explicit-seed job: "
            f"{r['answered_completed_with_existing_video']} answered `completed` with the existing video_id; POST "
            f"latency median {r['latency']['median'] * ms:.1f} ms, p90 {r['latency']['p90'] * ms:.1f} ms, max "
            f"{r['latency']['max'] * ms:.1f} ms (target < 100 ms). Worker pipeline runs before/after: "
            f"{r['pipeline_runs_before']}/{r['pipeline_runs_after']} (the one random-seed request after them: "
            f"`{r['random_seed_request_status']}`, it generates).",
            "",
        ]
    if "decode_cancel" in results:
        r = results["decode_cancel"]
        stages = ", ".join(
            f"{name.removesuffix('_seconds')} {value:.2f} s" for name, value in r["full_job_stage_seconds"].items()
        )
        lines += [
            "## Decode stage: a cancel during decoding (CogVideoX-2b rules on tiny-random, 720x480 renders)",
            "",
            f"Full job (512x512 delivered, 1 s at 24 fps, MP4 + WebM + preview, 1 step): {stages}.",
            "",
            "| round | cancel -> next job started s | stopped at |",
            "|---:|---:|---|",
            *(
                f"| {i + 1} | {sample['cancel_to_next_job_started_seconds']:.2f} | "
                f"{sample['canceled_in'].get('stage')} chunk {sample['canceled_in'].get('done')} of "
                f"{sample['canceled_in'].get('of')} |"
                for i, sample in enumerate(r["samples"])
            ),
            "",
            f"**Median {r['cancel_to_next_job_started']['median']:.2f} s**, max "
            f"{r['cancel_to_next_job_started']['max']:.2f} s (target < 2 s).",
            "",
        ]
    if "object_store" in results:
        r = results["object_store"]
        setup = r["setup"]
        lines += [
            "## Object store (SeaweedFS) vs local disk",
            "",
            f"Store: {setup['store']}. Web: {setup['web']}.",
            "",
            "Upload: what storing adds to a job (the worker's `store_seconds`: save and check the MP4, preview and "
            "poster), for the 6 s 720x480 video (median of 2 jobs) and for small 64x64 jobs (median of "
            f"{setup['small_jobs'] - 1} after the first, whose upload also sets up the worker's S3 client).",
            "",
            "| media in | 720x480 6 s MP4 bytes | its store ms | its job end-to-end s | small jobs' store ms | "
            "small jobs' end-to-end s | first job's store ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {name} | {u['video_bytes']} | {u['big_jobs_store_seconds']['median'] * ms:.0f} | "
                f"{u['big_jobs_end_to_end_seconds']['median']:.1f} | {u['small_jobs_store_seconds']['median'] * ms:.1f} | "
                f"{u['small_jobs_end_to_end_seconds']['median']:.2f} | {u['first_job_store_seconds'] * ms:.0f} |"
                for name, u in r["upload"].items()
            ),
            "",
            f"Downloads of that MP4 through the service, {setup['clients']} clients at once (curl), medians over "
            f"{setup['rounds']} interleaved rounds:",
            "",
            "| request | media in, served as | MiB/s | downloads/s | TTFB p50 ms | TTFB p90 ms | statuses |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        for kind, variants in r["downloads"].items():
            for name, d in variants.items():
                lines.append(
                    f"| {kind} | {name} | {d['throughput_mib_per_second']:.1f} | {d['downloads_per_second']:.1f} | "
                    f"{d['ttfb_p50'] * ms:.1f} | {d['ttfb_p90'] * ms:.1f} | {', '.join(map(str, d['statuses']))} |"
                )
        lines.append("")
    if "status" in results:
        s = results["status"]
        lines += [
            "## GET /api/status under load",
            "",
            f"wrk, {s['clients']} connections, {s['duration_seconds']} s per run, order ping, status, status, ping; "
            f"{s['jobs_in_database']} jobs in the database (90% completed with videos), random job ids; {s['web']}.",
            "",
            "| variant | endpoint | req/s | p50 ms | p99 ms | non-2xx | status/ping throughput |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for variant, data in s["variants"].items():
            summary = data["summary"]
            for name in ("ping", "status"):
                e = summary[name]
                ratio = f"**{summary['ratio']:.2f}x**" if name == "status" else ""
                lines.append(
                    f"| {variant} | {'GET /api/bench/ping' if name == 'ping' else 'GET /api/status/{id}'} "
                    f"| {e['requests_per_second']:.0f} | {e['p50_seconds'] * ms:.1f} | {e['p99_seconds'] * ms:.1f} "
                    f"| {e['non_2xx']} | {ratio} |"
                )
        lines.append("")
    return "\n".join(lines)


def run_scenarios(names: list[str], options: dict, command: str, out) -> dict:
    machine = describe_machine(include_gpu=False)
    results = {}
    for name in names:
        out.write(f"service scenario {name} ...")
        results[name] = SCENARIOS[name](options, out)
    markdown = service_markdown(results, command, machine)
    payload = {"kind": "service", "command": command, "machine": machine, "results": results}
    json_path, md_path = write_results(
        Path(options["output_dir"]), options["name"] or "service-" + "-".join(names), payload, markdown
    )
    out.write("\n" + markdown)
    out.write(f"wrote {json_path} and {md_path}")
    return results


def probe_generate(width: int, height: int, steps: int, runs: int) -> list[dict]:
    """Time the loaded engine inside whatever process calls this (a django-q2 worker, through
    `async_task`), without the job machinery: separates the worker process's own speed from
    the service's bookkeeping."""
    from videos.generation.engine import GenerationRequest, get_engine

    engine = get_engine()
    request = GenerationRequest("a red fox running through snow", "", width, height, 9, steps, 6.0, 7)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        output = engine.generate(request)
        timings.append({**output.timings, "generate_seconds": time.perf_counter() - started})
    return timings
