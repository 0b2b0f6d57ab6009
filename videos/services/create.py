"""New jobs: caps, idempotency, same-request reuse; the row is created, then enqueued on
commit."""

from __future__ import annotations

import base64
import logging
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from .. import disk_space, media_files, rate_limits, reuse
from ..canonical_json import digest
from ..job_log import log_job_event
from ..job_specs import JobSpec, parse_generate_request
from ..models import JobStatus, Video, VideoJob
from .errors import QueueFull, RateLimited, StorageFull, StorageUnavailable, TooManyQueued
from .idempotency import bound_job, check_same_request
from .lifecycle import enqueue_job, send_finished
from .tokens import check_job_quota

logger = logging.getLogger(__name__)


def request_fingerprint(body: dict) -> str:
    return digest(body)


INPUT_FOLDER = "inputs"  # image-to-video inputs (inputs/YYYY/MM/), served to their owner only


def store_input_image(spec: JobSpec) -> str:
    """Write the request's input image to storage and check what was stored (size, SHA-256);
    its name, or "" for a text request. A storage that fails or holds other bytes refuses the
    job (StorageFull for a full disk, else StorageUnavailable: 503 either way)."""
    if spec.image is None:
        return ""
    name = f"{INPUT_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4()}.{spec.image.extension}"
    saved = ""
    try:
        saved = default_storage.save(name, ContentFile(spec.image.content))
        media_files.verify_stored(saved, spec.image.sha256, len(spec.image.content))
    except Exception as exc:  # noqa: BLE001 - any storage failure: nothing half-stored, a clear refusal
        _forget_input_image(saved or name)
        if disk_space.is_disk_full_error(exc):
            raise StorageFull(disk_space.STORAGE_FULL_MESSAGE, retry_after=60) from None
        logger.warning("input image of a new job could not be stored: %s: %s", type(exc).__name__, exc)
        raise StorageUnavailable("The input image could not be stored; try again shortly.", retry_after=30) from None
    return saved


def _forget_input_image(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - the storage may be what failed; the orphan purge removes it
            logger.warning("could not delete %s", name)


def job_fields(
    owner,
    spec: JobSpec,
    *,
    idempotency_key: str,
    fingerprint: str,
    source: str,
    priority: int,
    reuse_key: str,
    api_token=None,
) -> dict:
    """The columns every new job takes from its request, whether it is queued or answered at
    once by same-request reuse."""
    return {
        "owner": owner,
        "prompt": spec.prompt,
        "negative_prompt": spec.negative_prompt,
        "template": spec.template,
        "variables": spec.variables,
        "params": spec.params,
        "model": spec.params["model"],
        "total_steps": spec.params["num_inference_steps"],
        "metadata": spec.metadata,
        "callback_url": spec.callback_url,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
        "max_attempts": settings.COGVIDEO_MAX_ATTEMPTS,
        "source": source,
        "priority": priority,
        "reuse_key": reuse_key,
        "api_token": api_token,
        "warnings": list(spec.warnings),
    }


# The doors people create jobs through, one after another. They share one rate of new jobs
# per user (COGVIDEO_THROTTLE_GENERATE), counted here so no door can skip it: the API, the
# studio (and its reruns), the admin's Generate form and its rerun actions. Batches
# (`generate_batch`, an operator's command) are paced by the queue caps instead.
RATE_LIMITED_SOURCES = frozenset({"api", "studio", "admin"})


def check_generate_rate(owner, source: str) -> None:
    """Count one new job of `owner`; RateLimited (429 + Retry-After) above the rate."""
    if source not in RATE_LIMITED_SOURCES:
        return
    retry_after = rate_limits.hit("generate", owner.pk)
    if retry_after is not None:
        wait = int(retry_after + 0.999)
        raise RateLimited(
            f"Too many new jobs: at most {settings.COGVIDEO_THROTTLE_RATES['generate']}. Try again in {wait} s.",
            retry_after=wait,
        )


def create_job(
    owner,
    spec: JobSpec,
    *,
    idempotency_key: str = "",
    fingerprint: str = "",
    source: str = "api",
    priority: int = 0,
    api_token=None,
) -> tuple[VideoJob, bool]:
    """Create and enqueue a job. Returns (job, created); with an idempotency key that was
    used before for the same request, the existing job comes back with created=False.
    `api_token`: the scoped token creating it (its job quota applies; it alone sees the job)."""
    if idempotency_key:
        existing = bound_job(owner, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    check_storage()
    check_job_quota(api_token)
    check_generate_rate(owner, source)  # a replay above creates nothing, so it is not counted
    fields = {
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "source": source,
        "priority": priority,
        "api_token": api_token if api_token is not None and api_token.is_scoped else None,
    }
    # Same-request reuse: an explicit-seed request identical to a video the owner already has
    # completes at once with that video; it queues nothing, so the queue caps do not apply.
    key = reuse.reuse_key(spec)
    reusable = reuse.find_reusable_video(owner, spec, key)
    if reusable is not None:
        image = store_input_image(spec)
        try:
            job = _create_reused_job(owner, spec, reusable, key=key, source_image=image, **fields)
        except IntegrityError:
            _forget_input_image(image)
            existing = VideoJob.objects.get(owner=owner, idempotency_key=idempotency_key)
            return check_same_request(existing, fingerprint), False
        return job, True
    image = store_input_image(spec)
    try:
        with _storage_full_as_refusal(), transaction.atomic():
            _serialize_job_creation()
            _check_queue_caps(owner)
            job = VideoJob.objects.create(**job_fields(owner, spec, reuse_key=key, **fields), source_image=image)
            transaction.on_commit(lambda: enqueue_job(job))
    except IntegrityError:
        # A concurrent request with the same idempotency key won the race.
        _forget_input_image(image)
        existing = VideoJob.objects.get(owner=owner, idempotency_key=idempotency_key)
        return check_same_request(existing, fingerprint), False
    except Exception:
        _forget_input_image(image)  # refused (queue caps, a full disk): no file without its job
        raise
    logger.info("job %s created by user %s", job.id, owner.pk)
    log_job_event(job, "created")
    return job, True


def check_storage() -> None:
    """StorageFull (503) while the media or data folder is below COGVIDEO_MIN_FREE_DISK_MB
    free: a job accepted now could not be stored."""
    state = disk_space.disk_state()
    if state.full:
        logger.warning("new job refused: %s", state.detail)
        raise StorageFull(disk_space.STORAGE_FULL_MESSAGE, retry_after=60)


@contextmanager
def _storage_full_as_refusal():
    """A write that fails for lack of space (below the threshold's radar: another process
    filled the disk) refuses the job like check_storage, instead of a 500."""
    try:
        yield
    except DatabaseError as exc:
        if disk_space.is_disk_full_error(exc) and not isinstance(exc, IntegrityError):
            logger.warning("new job refused: the database could not write (%s)", exc)
            raise StorageFull(disk_space.STORAGE_FULL_MESSAGE, retry_after=60) from None
        raise


def _serialize_job_creation() -> None:
    """Make the queue caps exact: the count and the insert run in one transaction that no
    other job creation overlaps. SQLite's IMMEDIATE transactions take the write lock when they
    begin, so they are serialized already; on PostgreSQL a transaction-scoped advisory lock
    does it (released at commit or rollback). Job creation is rare enough (a per-user rate of
    a few a minute) for one lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOB_CREATION_LOCK])


# An arbitrary constant key for pg_advisory_xact_lock, the same in every process.
JOB_CREATION_LOCK = 0x636F67766964  # "cogvid"


def _check_queue_caps(owner) -> None:
    queued = VideoJob.objects.filter(status=JobStatus.QUEUED)
    if queued.count() >= settings.COGVIDEO_MAX_QUEUED_TOTAL:
        raise QueueFull("The queue is full; try again in a few minutes.", retry_after=60)
    if queued.filter(owner=owner).count() >= settings.COGVIDEO_MAX_QUEUED_PER_USER:
        raise TooManyQueued(
            f"You already have {settings.COGVIDEO_MAX_QUEUED_PER_USER} queued jobs; wait for some to finish.",
            retry_after=30,
        )


def _create_reused_job(owner, spec: JobSpec, video: Video, *, key: str, source_image: str = "", **fields) -> VideoJob:
    """A job that is completed at creation with `video` as its result (see videos/reuse.py).
    It goes through the same finished signal as any completed job, so webhooks fire for it
    too."""
    now = timezone.now()
    columns = job_fields(owner, spec, reuse_key=key, **fields)
    reused = f"Identical to your earlier video {video.id} (same parameters and seed); it was reused."
    columns["warnings"] = [reused, *columns["warnings"]]
    with transaction.atomic():
        job = VideoJob.objects.create(
            **{**columns, "params": {**spec.params, "reused_video_id": str(video.id)}},
            source_image=source_image,
            status=JobStatus.COMPLETED,
            progress=100,
            step=spec.params["num_inference_steps"],
            stage="completed",
            started_at=now,
            finished_at=now,
            reused_from=video,
        )
        send_finished(job.pk)
    logger.info("job %s answered with existing video %s", job.id, video.id)
    return job


# --- Reruns: "retry" and "same seed again" keep every parameter, "new seed" all but the seed.
# The request is rebuilt from the job's resolved parameters and goes through the same
# validator and create_job as an API request, so the rules (bounds, queue caps, the current
# model's limits) are checked exactly once, in one place.


def rerun_request(job: VideoJob, *, new_seed: bool) -> dict:
    params = job.params or {}
    body: dict = {
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "duration": params.get("duration"),
        "resolution": params.get("resolution"),
        "fit": params.get("fit"),
        "pad_color": params.get("pad_color"),
        "fps": params.get("fps"),
        "formats": params.get("formats"),
        "enhance_quality": params.get("enhance_quality"),
        "num_inference_steps": params.get("num_inference_steps"),
        "guidance_scale": params.get("guidance_scale"),
        "seed": None if new_seed else params.get("seed"),
        "metadata": job.metadata or {},
        "model": job.model or params.get("model"),
        "image": stored_image_data_url(job),
    }
    # Keep the template link for the record while it is still usable; the prompt is
    # already rendered, so the text stays exactly the same either way.
    if job.template_id and job.template and job.template.is_active:
        body["template"] = job.template.slug
        body["variables"] = job.variables or {}
    return {key: value for key, value in body.items() if value is not None}


def stored_image_data_url(job: VideoJob) -> str | None:
    """An image-to-video job's stored input as a data URL, so a rerun goes through the
    validator like the first request (None for a text job)."""
    if not job.source_image:
        return None
    with job.source_image.open("rb") as handle:
        content = handle.read()
    kind = (job.params.get("image") or {}).get("format", "png")
    return f"data:image/{kind};base64," + base64.b64encode(content).decode("ascii")


def rerun_job(job: VideoJob, *, new_seed: bool, source: str) -> VideoJob:
    """Queue a copy of `job` for the job's owner. Raises django ValidationError when the old
    parameters no longer fit (e.g. the model changed) and ServiceError when a queue cap is
    reached."""
    new_job, _created = create_job(
        job.owner, parse_generate_request(rerun_request(job, new_seed=new_seed)), source=source
    )
    return new_job
