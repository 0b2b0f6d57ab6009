"""Reads: the status body of a job, queue positions, the system status, what "finished in
the last 24 hours" and "success rate" mean (monitoring/stats.py reads the same definitions),
and API tokens by their digest."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from . import disk_space, fair_share, media_files
from .generation.encoding import DEFAULT_FIT, FITS, FORMATS
from .generation.engine import model_setting
from .generation.profiles import ModelProfile, profile_for
from .isotime import iso_z
from .job_specs import model_label
from .job_specs import served_models as configured_models
from .models import (
    ApiToken,
    JobStatus,
    LoginFailure,
    ScopedTokenOrigin,
    TokenKind,
    Video,
    VideoJob,
    WorkerHeartbeat,
)
from .token_rules import MAX_TOKEN_LENGTH, token_digest
from .validation import IMAGE_FORMATS

DAY = timedelta(hours=24)

# Apps that add fields to GET /api/system/status register here in their AppConfig.ready()
# (monitoring adds the operators' telemetry): videos never imports them.
SystemStatusExtension = Callable[[dict, list[WorkerHeartbeat]], dict]
_system_status_extensions: list[SystemStatusExtension] = []


def register_system_status_extension(extend: SystemStatusExtension) -> None:
    """`extend(status, live_workers) -> status` runs on every system status, in order of
    registration; registering the same function twice keeps one."""
    if extend not in _system_status_extensions:
        _system_status_extensions.append(extend)


def queue_position(job: VideoJob) -> int | None:
    """1 for the job the next free worker of its model claims, by the claim's own rule
    (fair_share): only jobs of the same model share its workers."""
    return queue_standing(job)[0]


def queue_standing(job: VideoJob) -> tuple[int | None, float | None]:
    """(queue position, ETA in seconds) of a queued job, both from the claim order that
    videos/fair_share.py simulates; (None, the worker's ETA) for a job that is not queued.
    The ETA is the steps ahead of it (running jobs' remaining ones included), plus its own,
    at the recent seconds per step, shared among the live workers; None with no history."""
    if job.status != JobStatus.QUEUED:
        return None, job.eta_seconds
    order = fair_share.queue_order(down_to_priority=job.priority, until=job.pk, model=job.model)
    position = next((index for index, entry in enumerate(order, start=1) if entry[0] == job.pk), len(order) + 1)
    per_step = seconds_per_step(model=job.model)
    if per_step is None:
        return position, None
    running = VideoJob.objects.filter(status=JobStatus.PROCESSING, model=job.model).values_list(
        "eta_seconds", "total_steps", "step"
    )
    running_left = sum(eta if eta is not None else max(0, total - step) * per_step for eta, total, step in running)
    steps_ahead = sum(steps for _pk, _owner, steps in order[: position - 1]) + job.total_steps
    workers = max(1, live_workers().filter(model=job.model).count())
    return position, (running_left + steps_ahead * per_step) / workers


def seconds_per_step(sample: int = 20, model: str | None = None) -> float | None:
    """Mean wall seconds per denoising step of the last `sample` jobs the workers completed
    (of `model`, when given: models differ in cost; decode and encode included, so it is a
    whole job's cost per step)."""
    recent = (
        VideoJob.objects.filter(status=JobStatus.COMPLETED, reused_from__isnull=True, started_at__isnull=False)
        .filter(**({} if model is None else {"model": model}))
        .filter(total_steps__gt=0, finished_at__gte=timezone.now() - DAY)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at", "total_steps")[:sample]
    )
    rates = [(finished - started).total_seconds() / steps for started, finished, steps in recent]
    return sum(rates) / len(rates) if rates else None


def _render_volume(params: dict) -> int:
    """Rendered pixels x frames: what a decode's time grows with."""
    width = params.get("render_width", params.get("width", 0))
    height = params.get("render_height", params.get("height", 0))
    return width * height * params.get("num_frames", 0)


def _delivered_volume(params: dict) -> int:
    """Delivered pixels x frames: what an encode's time grows with (interpolation included)."""
    frames = params.get("fps", 0) * params.get("duration", 0) + 1
    return params.get("width", 0) * params.get("height", 0) * frames


STAGE_SAMPLE = 10


def later_stage_seconds(model: str, params: dict, worker: str = "") -> dict[str, float]:
    """Expected seconds of the stages after denoising, {"decoding": s, "encoding": s}, for a job
    of `model` with these params: the median over the model's last STAGE_SAMPLE completed runs
    (this worker's when it has any: devices differ) of each stage's measured time, scaled by
    the job's size against theirs. Empty without a measured run."""
    runs = (
        VideoJob.objects.filter(status=JobStatus.COMPLETED, reused_from__isnull=True, model=model)
        .filter(params__timings__decode_seconds__isnull=False, finished_at__gte=timezone.now() - DAY)
        .order_by("-finished_at")
    )
    if worker:
        own = runs.filter(worker=worker)
        runs = own if own.exists() else runs
    rendered, delivered = _render_volume(params), _delivered_volume(params)
    decode, encode = [], []
    for measured in runs.values_list("params", flat=True)[:STAGE_SAMPLE]:
        timings = measured.get("timings") or {}
        if _render_volume(measured) and timings.get("decode_seconds") is not None:
            decode.append(timings["decode_seconds"] * rendered / _render_volume(measured))
        if _delivered_volume(measured) and timings.get("encode_seconds") is not None:
            encode.append(timings["encode_seconds"] * delivered / _delivered_volume(measured))
    estimates = {}
    if decode:
        estimates["decoding"] = sorted(decode)[len(decode) // 2]
    if encode:
        estimates["encoding"] = sorted(encode)[len(encode) // 2]
    return estimates


def template_outcome_counts() -> dict:
    """Annotations of a PromptTemplate queryset: its jobs that finished (completed or failed;
    canceled ones say nothing about the template) and those that completed."""
    from django.db.models import Q

    finished = Q(videojob__status__in=[JobStatus.COMPLETED, JobStatus.FAILED])
    return {
        "finished_jobs": Count("videojob", filter=finished),
        "completed_jobs": Count("videojob", filter=Q(videojob__status=JobStatus.COMPLETED)),
    }


def live_preview_url(job: VideoJob, request=None) -> str | None:
    """While the job denoises and has a live preview: its URL, the step in it (a new step, a
    new URL, so nothing cached is shown)."""
    if job.status != JobStatus.PROCESSING or not job.live_preview_step:
        return None
    return absolute(f"{reverse('api-task-live-preview', args=[job.id])}?step={job.live_preview_step}", request)


def absolute(path: str, request=None) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.COGVIDEO_PUBLIC_URL}{path}"


def waiting_for(job: VideoJob) -> str | None:
    """What a queued job waits for when it is not only its turn: no live worker serves its
    model (all of them are down, or none was started)."""
    if job.status != JobStatus.QUEUED:
        return None
    if live_workers().filter(model=job.model).exists():
        return None
    return f"a worker for {model_label(job.model)}"


# Download variants (GET /api/download/{id}?variant=...) besides the MP4 ("video"); "source" is
# an image-to-video job's input image (its type is the image's own, see input_image_type).
DOWNLOAD_VARIANTS = {
    "video": ("video/mp4", "mp4"),
    "thumbnail": ("image/jpeg", "jpg"),
    "preview": ("image/webp", "webp"),
    "webm": ("video/webm", "webm"),
    "source": ("image/png", "png"),
}
INPUT_IMAGE_TYPES = {"png": ("image/png", "png"), "jpeg": ("image/jpeg", "jpg"), "webp": ("image/webp", "webp")}


def input_image_type(job: VideoJob) -> tuple[str, str]:
    """(content type, file extension) of a job's stored input image."""
    kind = (job.params.get("image") or {}).get("format", "png")
    return INPUT_IMAGE_TYPES.get(kind, INPUT_IMAGE_TYPES["png"])


DOWNLOAD_NAME_WORDS = 60  # characters of the prompt's slug in a download's file name


def download_name(video: Video, extension: str, variant: str = "video") -> str:
    """A readable file name for a download: the prompt's slug and the seed,
    `a-red-fox-running-42.mp4` (`-poster`, `-preview`, `-input` for the other variants);
    `video-42.mp4` for a prompt with no ASCII letters or digits; a long prompt is cut at a
    word."""
    job = video.job
    slug = slugify(job.prompt)
    if len(slug) > DOWNLOAD_NAME_WORDS:  # cut at the last whole word that fits
        cut = slug[: DOWNLOAD_NAME_WORDS + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:DOWNLOAD_NAME_WORDS]
    slug = slug.strip("-") or "video"
    seed = (job.params or {}).get("seed")
    suffix = {"thumbnail": "-poster", "preview": "-preview", "source": "-input"}.get(variant, "")
    return f"{slug}{'' if seed is None else f'-{seed}'}{suffix}.{extension}"


def video_file(video: Video, variant: str) -> FieldFile | None:
    """The stored file of a video's variant, or None when it has none (an older video has
    no preview; a WebM exists only when the request asked for it). The preview and WebM
    names are in the producing job's params (`files`), so they need no column."""
    if variant == "video":
        return video.file
    if variant == "thumbnail":
        return video.poster
    if variant == "source":
        return video.job.source_image or None
    name = (video.job.params or {}).get("files", {}).get(variant)
    return FieldFile(video, Video._meta.get_field("file"), name) if name else None


def job_status_body(job: VideoJob, request=None) -> dict:
    # result_video: the job's own video, or the earlier one a same-request reuse answered with.
    video = job.result_video if job.status == JobStatus.COMPLETED else None
    position, eta = queue_standing(job)
    body = {
        "task_id": str(job.id),
        "status": job.status,
        "progress": 100 if job.status == JobStatus.COMPLETED else job.progress,
        "step": job.step,
        "total_steps": job.total_steps,
        "stage": job.stage,
        "eta_seconds": round(eta, 1) if eta is not None else None,
        "queue_position": position,
        "waiting_for": waiting_for(job),
        "model": model_label(job.model) if job.model else None,
        "input_image_url": absolute(reverse("api-task-image", args=[job.id]), request) if job.source_image else None,
        "live_preview_url": live_preview_url(job, request),
        "video_id": str(video.id) if video else None,
        "video_url": None,
        "thumbnail_url": None,
        "preview_url": None,
        "webm_url": None,
        "error": job.error or None,
        "error_code": job.error_code or None,
        "warnings": job.warnings,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "template": job.template.slug if job.template_id and job.template else None,
        "variables": job.variables,
        "params": {k: v for k, v in job.params.items() if k not in ("seed_given", "files")},
        "seed": job.params.get("seed"),
        "duration": job.params.get("duration"),
        "resolution": job.params.get("resolution"),
        "metadata": job.metadata,
        "attempts": job.attempts,
        "created_at": iso_z(job.created_at),
        "started_at": iso_z(job.started_at),
        "finished_at": iso_z(job.finished_at),
        "status_url": absolute(reverse("api-status", args=[job.id]), request),
    }
    if video:
        download = reverse("api-download", args=[video.id])
        body["video_url"] = absolute(download, request)
        body["thumbnail_url"] = absolute(download + "?variant=thumbnail", request)
        files = (video.job.params or {}).get("files", {})
        body["preview_url"] = absolute(download + "?variant=preview", request) if "preview" in files else None
        body["webm_url"] = absolute(download + "?variant=webm", request) if "webm" in files else None
        body["video"] = {
            "width": video.width,
            "height": video.height,
            "frames": video.frames,
            "fps": video.fps,
            "duration_seconds": video.duration_seconds,
            "size_bytes": video.size_bytes,
            "sha256": video.sha256,
        }
    return body


def finished_in_window(window: timedelta, *, now: datetime | None = None):
    """Jobs that finished in the window ending now: finished_at in (now - window, now]."""
    until = now or timezone.now()
    return VideoJob.objects.filter(finished_at__gt=until - window, finished_at__lte=until)


def success_rate(completed: int, failed: int) -> float | None:
    """completed / (completed + failed); canceled jobs count in neither (a cancel is the
    user's choice, not a failure of the service). None with no finished job."""
    done = completed + failed
    return round(completed / done, 4) if done else None


def _stale_cutoff():
    return timezone.now() - timedelta(seconds=settings.COGVIDEO_STALE_AFTER_SECONDS)


def live_workers():
    return WorkerHeartbeat.objects.filter(last_seen__gte=_stale_cutoff()).order_by("name")


def dead_workers(within: timedelta = timedelta(hours=24)):
    """Workers that heartbeated recently but stopped: crashed, killed or shut down."""
    return WorkerHeartbeat.objects.filter(
        last_seen__lt=_stale_cutoff(), last_seen__gte=timezone.now() - within
    ).order_by("-last_seen")


def stale_jobs():
    """Jobs still marked processing whose worker stopped heartbeating (the reaper's work)."""
    return VideoJob.objects.filter(status=JobStatus.PROCESSING, heartbeat_at__lt=_stale_cutoff())


def _host_memory() -> dict:
    info = {}
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                key, value = line.split(":", 1)
                if key in {"MemTotal", "MemAvailable"}:
                    info[key] = int(value.split()[0]) * 1024
    except OSError:
        return {}
    return {"total_bytes": info.get("MemTotal"), "available_bytes": info.get("MemAvailable")}


def system_status(viewer=None) -> dict:
    """The service's state. A `viewer` who is not staff gets it without host details (see
    _without_host_details) and sees only which of their own jobs the workers run."""
    model = model_setting()
    profile = profile_for(model)
    counts = dict(VideoJob.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    recent = dict(
        finished_in_window(DAY)
        .filter(status__in=[JobStatus.COMPLETED, JobStatus.FAILED])
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    workers = list(live_workers())
    folder = local_media_folder()
    disk = shutil.disk_usage(folder)
    storage = disk_space.disk_state()
    devices = sorted({w.device for w in workers if w.device})
    status = {
        "status": "storage_full" if storage.full else ("ok" if workers else "no_workers"),
        "model": {
            "id": model,
            "profile": profile.name,
            "native_resolution": f"{profile.native_width}x{profile.native_height}",
            "fps": profile.fps,
            "max_duration": profile.max_duration,
            "loaded": any(w.model_loaded for w in workers),
            "error": next((w.model_error for w in workers if w.model_error), None),
        },
        "device": devices[0] if len(devices) == 1 else (devices or None),
        "memory": {"host": _host_memory()},
        "queue": {
            "queued": counts.get(JobStatus.QUEUED, 0),
            "processing": counts.get(JobStatus.PROCESSING, 0),
            "depth": counts.get(JobStatus.QUEUED, 0) + counts.get(JobStatus.PROCESSING, 0),
            "broker": "redis" if settings.REDIS_URL else "orm",
            "stale_jobs": stale_jobs().count(),
        },
        "workers": {
            "alive": len(workers),
            "dead": [
                {
                    "name": w.name,
                    "hostname": w.hostname,
                    "pid": w.pid,
                    "last_seen": iso_z(w.last_seen),
                    "current_job": str(w.current_job) if w.current_job else None,
                }
                for w in dead_workers()[:20]
            ],
            "list": [
                {
                    "name": w.name,
                    "hostname": w.hostname,
                    "pid": w.pid,
                    "device": w.device,
                    "model": w.model,
                    "model_loaded": w.model_loaded,
                    "memory_mode": w.memory_mode,
                    "current_job": str(w.current_job) if w.current_job else None,
                    "last_seen": iso_z(w.last_seen),
                    "pipeline_runs": w.pipeline_runs,
                    "model_loads": w.model_loads,
                    "device_slot": w.device_slot,
                }
                for w in workers
            ],
        },
        # Where media is kept (an object store: s3://bucket/prefix, or the media folder).
        "storage": media_files.describe(),
        "disk": {
            "path": str(folder),
            "free_bytes": disk.free,
            "total_bytes": disk.total,
            "min_free_bytes": storage.min_free_bytes,
            "storage_full": storage.full,
            "detail": storage.detail,
        },
        "jobs_24h": {
            "completed": recent.get(JobStatus.COMPLETED, 0),
            "failed": recent.get(JobStatus.FAILED, 0),
            "success_rate": success_rate(recent.get(JobStatus.COMPLETED, 0), recent.get(JobStatus.FAILED, 0)),
        },
    }
    status["workers"]["by_model"] = workers_by_model(workers)
    for extend in _system_status_extensions:
        status = extend(status, workers)
    if viewer is not None and not viewer.is_staff:
        status = _without_host_details(status, viewer)
    return status


def local_media_folder() -> Path:
    """The folder whose free space the disk report shows: the media folder, or with media in an
    object store the data folder (the database and the workers' scratch files)."""
    folder = media_files.local_root() or Path(settings.DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# What only staff see of the machines: where files live and which hosts and processes run the
# workers (a worker's name is "host:pid"). Keys added by extensions are dropped too.
HOST_DETAIL_KEYS = ("hostname", "pid")


def _without_host_details(status: dict, viewer) -> dict:
    """The system status a non-staff caller gets: the same fields, minus host names, process
    ids and paths, and with other users' job ids blanked."""
    entries = [*status["workers"]["list"], *status["workers"]["dead"]]
    shown = {entry["current_job"] for entry in entries if entry.get("current_job")}
    own = {str(pk) for pk in VideoJob.objects.filter(owner=viewer, pk__in=shown).values_list("pk", flat=True)}
    for number, entry in enumerate(entries, start=1):
        entry["name"] = f"worker-{number}"
        for key in HOST_DETAIL_KEYS:
            entry.pop(key, None)
        if entry.get("current_job") not in own:
            entry["current_job"] = None
    status["disk"].pop("path", None)
    status["storage"].pop("location", None)
    model_id = status["model"]["id"]
    if model_id and Path(model_id).is_absolute():  # a local folder: its name, not where it is
        status["model"]["id"] = Path(model_id).name
    for entry in status["workers"]["list"]:
        if entry.get("model") and Path(entry["model"]).is_absolute():
            entry["model"] = Path(entry["model"]).name
    return status


def model_description(model: str, profile: ModelProfile) -> dict:
    """What a client needs to offer a model's choices (GET /api/models): its trained sizes,
    the sizes it may deliver, frame rates, durations, fits and formats."""
    if profile.trained_bounds is not None:
        bounds = profile.trained_bounds
        trained = {
            "sizes": [],
            "bounds": {
                "short_side": [bounds.short_min, bounds.short_max],
                "long_side": [bounds.long_min, bounds.long_max],
                "multiple": bounds.multiple,
            },
        }
    else:
        trained = {"sizes": [f"{w}x{h}" for w, h in profile.trained_sizes], "bounds": None}
    return {
        "id": model,
        "profile": profile.name,
        "task": profile.kind,
        "trained": trained,
        "default_resolution": f"{profile.native_width}x{profile.native_height}",
        "resolution_limits": {
            "min_side": profile.min_side,
            "max_side": profile.max_side,
            "multiple": profile.size_multiple,
            "max_pixels": profile.max_pixels,
        },
        "native_fps": profile.fps,
        "fps": list(profile.delivered_fps),
        "durations": list(profile.durations),
        "default_duration": profile.default_duration,
        "max_duration": profile.max_duration,
        "fits": list(FITS),
        "default_fit": DEFAULT_FIT,
        "formats": list(FORMATS),
        "image_limits": image_limits() if profile.takes_image else None,
    }


def image_limits() -> dict:
    """What an image-to-video model takes as its input image (validation.check_image_bytes)."""
    return {
        "types": [mime for mime, _extension in IMAGE_FORMATS.values()],
        "max_bytes": settings.COGVIDEO_MAX_IMAGE_BYTES,
        "max_pixels": settings.COGVIDEO_MAX_IMAGE_PIXELS,
        "min_side": settings.COGVIDEO_MIN_IMAGE_SIDE,
    }


def workers_by_model(workers: list[WorkerHeartbeat]) -> dict:
    """Live workers per served model (and any other model a live worker reports)."""
    shown: dict[str, dict] = {}
    for model in [*configured_models(), *(w.model for w in workers)]:
        mine = [w for w in workers if w.model == model]
        shown.setdefault(model_label(model), {"alive": len(mine), "loaded": sum(1 for w in mine if w.model_loaded)})
    return shown


def served_models() -> list[dict]:
    """The models this installation serves (COGVIDEO_WORKER_MODELS; the validator checks each
    request against its model's profile), each with whether a live worker serves it now."""
    default = model_setting()
    workers = list(live_workers())
    described = []
    for model in configured_models():
        mine = [w for w in workers if w.model == model]
        profile = profile_for(model)
        described.append(
            {
                **model_description(model_label(model), profile),
                "default": model == default,
                "takes_image": profile.takes_image,
                "steps": {"quality": profile.quality_steps, "draft": profile.draft_steps, "max": profile.max_steps},
                "live_workers": len(mine),
                "served_now": bool(mine),
                "loaded": any(w.model_loaded for w in mine),
            }
        )
    return described


def login_lockout(username: str, address: str) -> float | None:
    """Seconds until a sign-in as `username` from `address` is allowed again, or None when it
    is allowed now. Locked while the account has COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT failures,
    or the address COGVIDEO_LOGIN_FAILURES_PER_ADDRESS, in the last
    COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS (0 turns a limit off); the lock ends when enough of
    them are older than the window. The same for names that exist and names that do not."""
    window = timedelta(seconds=settings.COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS)
    now = timezone.now()
    waits = []
    for scope, key, limit in (
        (LoginFailure.ACCOUNT, LoginFailure.account_key(username), settings.COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT),
        (LoginFailure.ADDRESS, address[:64], settings.COGVIDEO_LOGIN_FAILURES_PER_ADDRESS),
    ):
        if limit <= 0:
            continue
        # The limit-th newest failure: while it is inside the window, `limit` failures are.
        nth = (
            LoginFailure.objects.filter(scope=scope, key=key, created_at__gt=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[limit - 1 : limit]
        )
        for at in nth:
            waits.append((at + window - now).total_seconds())
    return max(waits) if waits else None


# --- API tokens ------------------------------------------------------------------------------


def token_for_text(text: str) -> ApiToken | None:
    """The stored token a bearer presents (revoked and expired ones included: the caller says
    which), found by its digest; None for anything else."""
    if not text or len(text) > MAX_TOKEN_LENGTH:
        return None
    return ApiToken.objects.select_related("user").filter(digest=token_digest(text)).first()


def token_allows_origin(token: ApiToken, origin: str) -> bool:
    return token.allowed_origins.filter(origin=origin).exists()


def live_scoped_token_allows_origin(origin: str) -> bool:
    """Whether any unrevoked, unexpired scoped token may be used from `origin` (CORS: a
    preflight carries no token, so it is answered for the origin)."""
    return ScopedTokenOrigin.objects.filter(
        origin=origin,
        token__kind=TokenKind.SCOPED,
        token__revoked_at__isnull=True,
        token__expires_at__gt=timezone.now(),
    ).exists()
