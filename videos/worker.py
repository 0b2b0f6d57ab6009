"""The worker side: claim a job, run the engine, store the files, record the outcome.

Runs inside a django-q2 worker process. A heartbeat thread, started when django-q2 spawns
the process, keeps this worker's row and its running job's heartbeat fresh, preloads the
model, and runs the reaper for jobs of workers that died.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection
from django.utils import timezone

from . import disk_space, media_files, selectors, services, worker_supervision
from .generation import engine as engine_module
from .generation.acceleration import acceleration_params
from .generation.encoding import (
    DEFAULT_FIT,
    DEFAULT_PAD_COLOR,
    INTERPOLATION_MODES,
    Delivery,
    EncodingError,
    encode,
    fit_image,
    sha256_of,
    write_poster,
)
from .generation.engine import (
    GenerationCanceled,
    GenerationOutOfMemory,
    GenerationRequest,
    ModelUnavailable,
)
from .generation.telemetry import engine_telemetry
from .job_specs import model_queue, served_models
from .models import Video, VideoJob, WorkerHeartbeat

logger = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL = 0.5  # seconds between progress writes
CANCEL_CHECK_INTERVAL = 0.25  # at most this long between cancel checks (a write is one)
_current_job: uuid.UUID | None = None
_heartbeat_started = False
_device_slot: int | None = None
_slot_lock = None  # the open, locked slot file; the lock lives as long as this process
_model_error = ""


def worker_name() -> str:
    return f"{settings.COGVIDEO_HOSTNAME}:{os.getpid()}"


# --- Heartbeat ------------------------------------------------------------------------------


def beat() -> None:
    engine = engine_module.loaded_engine()
    fields = {
        "hostname": settings.COGVIDEO_HOSTNAME,
        "pid": os.getpid(),
        "last_seen": timezone.now(),
        "current_job": _current_job,
        "model": engine.model if engine else engine_module.served_model(),
        "model_loaded": engine is not None,
        "model_error": "" if engine else _model_error,
        "device": engine.device if engine else "",
        "memory_mode": engine.memory_mode if engine else "",
        "model_loads": engine_module.load_count,
        "pipeline_runs": engine_module.pipeline_runs,
        "device_slot": _device_slot,
        **engine_telemetry(engine),  # device name, model load seconds, GPU memory (monitoring/)
    }
    WorkerHeartbeat.objects.update_or_create(name=worker_name(), defaults=fields)
    if _current_job is not None:
        services.touch_heartbeat(_current_job, worker_name())


def pin_device() -> str | None:
    """One worker per GPU: take the first free slot of COGVIDEO_DEVICES with a per-host file
    lock (released by the kernel when the process dies, so a respawned worker takes the slot
    of the one it replaces) and make it this process's device. CUDA is not touched here."""
    global _device_slot, _slot_lock
    devices = settings.COGVIDEO_DEVICES
    if not devices:
        return None
    scope = hashlib.sha256(f"{settings.DATA_DIR}:{settings.Q_CLUSTER['name']}".encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"cogvideo-device-slots-{scope}"
    folder.mkdir(exist_ok=True)
    for index, device in enumerate(devices):
        handle = open(folder / f"slot-{index}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _device_slot, _slot_lock = index, handle
        engine_module.pin_device(device)
        logger.info("worker %s pinned to %s (slot %s)", worker_name(), device, index)
        return device
    logger.warning("more workers than COGVIDEO_DEVICES entries; %s shares the default device", worker_name())
    return None


def dead_local_workers() -> list[str]:
    """Workers recorded on this host whose process no longer exists: their jobs can be
    requeued at once instead of waiting for the heartbeat to go stale."""
    host = settings.COGVIDEO_HOSTNAME
    dead = []
    for name, pid in WorkerHeartbeat.objects.filter(hostname=host).values_list("name", "pid"):
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append(name)
        except PermissionError:
            pass
    return dead


def _heartbeat_loop() -> None:
    interval = settings.COGVIDEO_HEARTBEAT_SECONDS
    last_reap = 0.0
    while True:
        if worker_supervision.orphaned():
            worker_supervision.stop_orphaned_cluster()
        try:
            close_old_connections()
            beat()
            if time.monotonic() - last_reap > max(interval, settings.COGVIDEO_STALE_AFTER_SECONDS / 2):
                services.reap()
                last_reap = time.monotonic()
        except Exception:  # noqa: BLE001 - the heartbeat must outlive a database hiccup
            logger.exception("heartbeat failed")
        finally:
            connection.close()
        time.sleep(interval)


def _preload() -> None:
    global _model_error
    try:
        engine_module.get_engine()
        beat()
    except ModelUnavailable as exc:
        _model_error = str(exc)
        logger.error("%s", exc)
        beat()
    except Exception:  # noqa: BLE001
        logger.exception("model preload failed")
    finally:
        connection.close()


def model_of_cluster(cluster_name: str) -> str | None:
    """The served model whose GPU queue this cluster works (settings.COGVIDEO_MODEL_QUEUES),
    or None: the events cluster, or a queue no served model has."""
    for model in served_models():
        if model_queue(model) == cluster_name:
            return model
    return None


def on_worker_spawn(**_kwargs) -> None:
    """django-q2's post_spawn signal, in the freshly forked worker process."""
    global _heartbeat_started
    from django_q.conf import Conf

    if _heartbeat_started:
        return
    model = model_of_cluster(Conf.CLUSTER_NAME)
    if model is None:
        if Conf.CLUSTER_NAME != settings.COGVIDEO_EVENTS_QUEUE:
            logger.warning("cluster %s is no served model's queue: its workers run no jobs", Conf.CLUSTER_NAME)
        return  # not a GPU worker: the events cluster (webhooks) loads no model
    _heartbeat_started = True
    worker_supervision.attach()
    # Each worker serves one model: the one of its cluster's queue; it claims only its jobs.
    engine_module.serve_model(model)
    pin_device()
    try:
        beat()
        dead = dead_local_workers()
        services.requeue_stale_jobs(dead_workers=dead)
        WorkerHeartbeat.objects.filter(name__in=dead).delete()
    except Exception:  # noqa: BLE001
        logger.exception("worker start-up bookkeeping failed")
    finally:
        connection.close()
    threading.Thread(target=_heartbeat_loop, name="cogvideo-heartbeat", daemon=True).start()
    if settings.COGVIDEO_PRELOAD_MODEL:
        threading.Thread(target=_preload, name="cogvideo-preload", daemon=True).start()


# --- Running a job ---------------------------------------------------------------------------


def run_next_job(hint_job_id: str | None = None) -> str | None:
    global _current_job
    if worker_supervision.cluster_stopping():
        logger.info("worker %s: the cluster is stopping; leaving queued jobs for the next start", worker_name())
        return None
    job = services.claim_next_job(worker_name(), engine_module.served_model())
    if job is None:
        return None
    _current_job = job.pk
    # Report the job at once, not at the next heartbeat: operators (and the reaper's dead-worker
    # check) see which job this process runs from the moment it claims it.
    WorkerHeartbeat.objects.filter(name=worker_name()).update(current_job=job.pk, last_seen=timezone.now())
    try:
        execute_job(job)
    except Exception as exc:  # noqa: BLE001 - an unforeseen error must still end the job
        logger.exception("job %s: unexpected error", job.pk)
        services.fail_job(job, "internal_error", f"Internal error in the worker: {type(exc).__name__}: {exc}"[:2000])
    finally:
        _current_job = None
        WorkerHeartbeat.objects.filter(name=worker_name()).update(current_job=None)
        services.wake_up_if_waiting()
    return str(job.pk)


# Progress shares of the stages: denoising 5..80, decoding 80..95, encoding from 95.
DENOISE_SHARE = (5, 80)
DECODE_SHARE = (80, 95)
ENCODING_PROGRESS = 95


class _ProgressReporter:
    """Throttled progress writes and cancel checks from the denoising loop and the decode's
    chunks. A write that matches no row means the job left `processing` (canceled or
    reaped): the engine's next check stops it."""

    def __init__(self, job: VideoJob, later: dict[str, float] | None = None):
        self.job = job
        # The stages still to come after denoising and after decoding, as measured on earlier
        # jobs (selectors.later_stage_seconds): an ETA covers the whole job, not one stage.
        later = later or {}
        self.after_decode = later.get("encoding", 0.0)
        self.after_denoise = later.get("decoding", 0.0) + self.after_decode
        self.last_write = 0.0
        self.canceled = False
        self.denoise_started = time.monotonic()
        self.decode_started = time.monotonic()
        self.last_check = 0.0

    def _due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if done < total and now - self.last_write < PROGRESS_WRITE_INTERVAL:
            return False
        self.last_write = now
        return True

    def _report(self, **fields) -> None:
        if not services.report_progress(self.job, **fields):
            self.canceled = True

    def on_step(self, step: int, total: int) -> None:
        if not self._due(step, total):
            return
        elapsed = time.monotonic() - self.denoise_started
        eta = elapsed / step * (total - step) + self.after_denoise if step else None
        low, high = DENOISE_SHARE
        self._report(progress=low + int((high - low) * step / total), stage="denoising", step=step, eta=eta)

    def on_decode(self, chunk: int, total: int) -> None:
        if not self._due(chunk, total):
            return
        elapsed = time.monotonic() - self.decode_started
        low, high = DECODE_SHARE
        self._report(
            progress=low + int((high - low) * chunk / total),
            stage="decoding",
            eta=elapsed / chunk * (total - chunk) + self.after_decode if chunk else None,
        )

    def should_cancel(self) -> bool:
        """Asked by the engine at every step and before every decoder block: the answer of the
        last write, or (when none came for CANCEL_CHECK_INTERVAL) a cheap look at the row."""
        now = time.monotonic()
        if not self.canceled and now - max(self.last_write, self.last_check) >= CANCEL_CHECK_INTERVAL:
            self.last_check = now
            self.canceled = not services.still_running(self.job)
        return self.canceled

    def on_preview(self, image: bytes, step: int) -> None:
        """A live preview of the latents (the engine throttles them): into the job's row."""
        if not services.record_live_preview(self.job, image, step):
            self.canceled = True

    def on_stage(self, stage: str) -> None:
        progress = {"denoising": DENOISE_SHARE[0], "decoding": DECODE_SHARE[0]}.get(stage, 0)
        if stage == "denoising":
            self.denoise_started = time.monotonic()
        if stage == "decoding":
            self.decode_started = time.monotonic()
        self.last_write = time.monotonic()
        self._report(progress=progress, stage=stage)


def execute_job(job: VideoJob) -> None:
    global _model_error
    services.report_progress(job, progress=1, stage="loading_model")
    try:
        engine = engine_module.get_engine()
    except ModelUnavailable as exc:
        _model_error = str(exc)
        services.fail_job(job, exc.code, str(exc))
        return
    # The speed levers change the pixels a little: record them with the other parameters.
    services.record_params(job, device=engine.device, memory_mode=engine.memory_mode, **acceleration_params(engine))
    params = job.params
    try:
        image = input_image_for(job, params)
    except OSError as exc:
        services.fail_job(job, "input_missing", f"The job's input image cannot be read from storage ({exc}).")
        return
    request = GenerationRequest(
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        # The trained size (jobs queued before render sizes existed render as asked).
        width=params.get("render_width", params["width"]),
        height=params.get("render_height", params["height"]),
        num_frames=params["num_frames"],
        num_inference_steps=params["num_inference_steps"],
        guidance_scale=params["guidance_scale"],
        seed=params["seed"],
        use_dynamic_cfg=params.get("use_dynamic_cfg", False),
        image=image,
    )
    reporter = _ProgressReporter(job, selectors.later_stage_seconds(job.model, params, worker_name()))
    started = time.perf_counter()
    output = None
    for attempt in (1, 2):
        try:
            output = engine.generate(
                request,
                reporter.on_step,
                reporter.should_cancel,
                reporter.on_stage,
                on_decode=reporter.on_decode,
                on_preview=reporter.on_preview,
            )
            break
        except GenerationCanceled as exc:
            # Where it stopped, for the record (operators; the tests read it too): the step,
            # or the decode chunk, the cancel was seen at.
            services.record_cancel_point(job, stage=exc.stage, done=exc.done, of=exc.total)
            logger.info("job %s canceled while running (%s)", job.pk, exc)
            return
        except GenerationOutOfMemory as exc:
            leaner = engine_module.use_leaner_memory_mode(engine) if attempt == 1 else None
            if leaner is None:
                services.fail_job(
                    job,
                    exc.code,
                    "The GPU ran out of memory even in the leaner memory mode. Try a smaller "
                    "resolution or a shorter duration, set COGVIDEO_MEMORY_MODE=sequential_offload, "
                    "or free GPU memory used by other processes.",
                )
                return
            services.add_warning(job, f"GPU out of memory; retried once in memory mode {leaner}.")
            services.record_params(job, memory_mode=leaner)
        except Exception as exc:  # noqa: BLE001 - any engine failure ends the job clearly
            logger.exception("job %s: generation failed", job.pk)
            services.fail_job(job, "generation_failed", f"Generation failed: {type(exc).__name__}: {exc}"[:2000])
            return
    for warning in output.warnings:
        services.add_warning(job, warning)
    if not services.report_progress(
        job, progress=ENCODING_PROGRESS, stage="encoding", eta=reporter.after_decode or None
    ):
        return
    _store_result(job, output, params, timings={**output.timings, "total_seconds": time.perf_counter() - started})


def input_image_for(job: VideoJob, params: dict):
    """An image-to-video job's input, fitted to the render size by the job's fit rules (the
    output's: crop or pad, see encoding.fit_image); None for a text job."""
    if not job.source_image:
        return None
    from PIL import Image

    with job.source_image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    image = image.convert("RGB")
    width = params.get("render_width", params["width"])
    height = params.get("render_height", params["height"])
    return fit_image(
        image, width, height, params.get("fit") or DEFAULT_FIT, params.get("pad_color") or DEFAULT_PAD_COLOR
    )


def delivery_for(params: dict, frames) -> Delivery:
    """What the job asked for, from its params (older jobs: the frames as rendered)."""
    count, height, width, _ = frames.shape
    fps = params.get("fps", params.get("render_fps"))
    render_fps = params.get("render_fps", fps)
    return Delivery(
        width=params.get("width", width),
        height=params.get("height", height),
        fps=fps,
        fit=params.get("fit") or DEFAULT_FIT,
        pad_color=params.get("pad_color") or DEFAULT_PAD_COLOR,
        # Interpolated: fps * duration + 1 frames, as long as the native video.
        seconds=params.get("duration") if fps != render_fps else None,
    )


def _store_result(job: VideoJob, output, params: dict, timings: dict) -> None:
    video_id = uuid.uuid4()
    folder = f"videos/{timezone.now():%Y/%m}"
    saved: list[str] = []
    storing = ""  # the file being stored, named in the error if storing it fails
    scratch = Path(tempfile.mkdtemp(prefix="cogvideo-"))
    try:
        frames = output.frames
        render_fps = params.get("render_fps", params["fps"])
        delivery = delivery_for(params, frames)
        paths = {"mp4": scratch / f"{video_id}.mp4", "preview": scratch / f"{video_id}.preview.webp"}
        if "webm" in params.get("formats", ()):
            paths["webm"] = scratch / f"{video_id}.webm"
        encode_started = time.perf_counter()
        # One ffmpeg run makes every file: the interpolation and fitting happen once.
        interpolation = INTERPOLATION_MODES.get(params.get("interpolation") or "", "")
        encode(frames, render_fps, delivery, paths, interpolation=interpolation)
        paths["poster"] = scratch / f"{video_id}.jpg"
        write_poster(frames, paths["poster"], delivery)
        timings["encode_seconds"] = time.perf_counter() - encode_started
        store_started = time.perf_counter()
        names = {}
        digests = {variant: sha256_of(path) for variant, path in paths.items()}
        for variant, path in paths.items():
            storing = f"{folder}/{path.name}"
            with open(path, "rb") as handle:
                names[variant] = default_storage.save(f"{folder}/{path.name}", File(handle))
            saved.append(names[variant])
            # What the storage holds is what was written (an object store checked it on
            # arrival and says so; anything else is read back): else the job fails below.
            media_files.verify_stored(names[variant], digests[variant], path.stat().st_size)
        timings["store_seconds"] = time.perf_counter() - store_started
        storing = ""
        video = Video(
            id=video_id,
            job=job,
            owner_id=job.owner_id,
            file=names["mp4"],
            poster=names["poster"],
            width=delivery.width,
            height=delivery.height,
            frames=delivery.frames or len(frames),
            fps=delivery.fps,
            size_bytes=paths["mp4"].stat().st_size,
            sha256=digests["mp4"],
        )
        # The files beyond the MP4 and poster (preview, WebM), found by the download view.
        services.record_params(job, files={k: v for k, v in names.items() if k not in ("mp4", "poster")})
        services.record_params(job, timings={k: round(v, 4) for k, v in timings.items()})
        if services.complete_job(job, video):
            return
    except EncodingError as exc:
        services.fail_job(job, exc.code, str(exc))
    except media_files.StoredFileMismatch as exc:
        logger.error("job %s: stored file differs from the one written: %s", job.pk, exc)
        services.fail_job(job, "storage_failed", f"Could not store the video: the stored copy differs ({exc}).")
    except OSError as exc:
        if disk_space.is_disk_full_error(exc):
            services.fail_job(job, "storage_full", "Could not store the video: the server's storage is full.")
        else:
            services.fail_job(
                job,
                "storage_failed",
                f"Could not write the video to storage ({exc.strerror or exc}); check disk space.",
            )
    except Exception as exc:  # noqa: BLE001 - e.g. an S3 client error: fail clearly, then clean up below
        logger.exception("job %s: storing the result failed", job.pk)
        where = f" ({storing})" if storing else ""
        services.fail_job(
            job, "storage_failed", f"Could not store the video{where}: {type(exc).__name__}: {exc}"[:2000]
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # Not completed (failed to store, or canceled meanwhile): leave no partial files behind,
    # including a file whose save failed half-way (a full disk): storage does not remove it.
    intended = [f"{folder}/{video_id}.mp4", f"{folder}/{video_id}.jpg"]
    for name in dict.fromkeys([*saved, *intended]):
        try:
            if name in saved or default_storage.exists(name):
                default_storage.delete(name)
        except Exception:  # noqa: BLE001 - e.g. the object store is down too: the orphan purge removes it
            logger.warning("could not delete %s", name)
