"""Submit a planned batch through the normal service and follow it to the end.

One loop does everything: refresh the batch's job rows, submit more rows while the batch
has room in the queue, copy finished videos out, update the display. Every state change goes
through videos.services; this module only reads job rows and calls services.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.text import slugify

from .. import services
from ..models import TERMINAL_STATUSES, JobStatus, VideoJob
from ..selectors import live_workers
from .rows import PlannedRow

logger = logging.getLogger(__name__)

BATCH_SOURCE = "batch"
# Below the API's default of 0: claim_next_job takes the highest priority first, so an
# editor's single request is picked before the rest of a queued batch.
DEFAULT_BATCH_PRIORITY = -10
INVALID, PENDING, REJECTED = "invalid", "pending", "rejected"
OK_STATUSES = {JobStatus.COMPLETED}


def default_max_queued() -> int:
    """How many of its jobs a batch keeps queued at once: half the per-user cap, so the same
    user still has room for interactive requests while a long batch runs."""
    return max(1, settings.COGVIDEO_MAX_QUEUED_PER_USER // 2)


@dataclass
class RowResult:
    row: int
    prompt: str
    idempotency_key: str
    status: str = PENDING
    task_id: str = ""
    video_id: str = ""
    file: str = ""
    seconds: float | None = None
    error: str = ""
    # Not in reports: live detail for the display.
    step: int = 0
    total_steps: int = 0
    eta_seconds: float | None = None
    existed: bool = False  # the job was created by an earlier run of the same file
    final: bool = False  # the finished job's details (video, seconds, error) are recorded

    def report_fields(self) -> dict:
        data = asdict(self)
        return {name: data[name] for name in REPORT_COLUMNS}


REPORT_COLUMNS = ["row", "prompt", "task_id", "status", "video_id", "file", "seconds", "error"]


@dataclass
class Snapshot:
    total: int
    submitted: int
    pending: int
    queued: int
    processing: int
    completed: int
    failed: int
    canceled: int
    invalid: int
    rejected: int
    step: str  # "1/2" for the running job(s), "" when none
    eta_seconds: float | None
    waiting_for_room: bool
    workers_alive: int | None

    @property
    def finished(self) -> int:
        return self.completed + self.failed + self.canceled + self.invalid + self.rejected


class BatchRunner:
    def __init__(
        self,
        planned: list[PlannedRow],
        owner,
        *,
        priority: int = DEFAULT_BATCH_PRIORITY,
        wait: bool = False,
        out_dir: Path | None = None,
        max_queued: int | None = None,
        poll_interval: float = 0.5,
        on_update: Callable[[Snapshot], None] | None = None,
    ):
        self.planned = planned
        self.owner = owner
        self.priority = priority
        self.wait = wait
        self.out_dir = out_dir
        self.max_queued = max_queued or default_max_queued()
        self.poll_interval = poll_interval
        self.on_update = on_update or (lambda snapshot: None)
        self.results = [
            RowResult(
                row=item.line,
                prompt=item.prompt,
                idempotency_key=item.idempotency_key,
                status=PENDING if item.valid else INVALID,
                error=item.error,
            )
            for item in planned
        ]
        self.waiting_for_room = False
        self._workers_alive: int | None = None
        self._workers_checked = 0.0
        self._run_seconds: list[float] = []

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> list[RowResult]:
        self._attach_existing_jobs()
        while True:
            self.refresh()
            self._submit_some()
            self._copy_outputs()
            self.on_update(self.snapshot())
            if self.finished():
                return self.results
            time.sleep(self.poll_interval)

    def finished(self) -> bool:
        if any(r.status == PENDING for r in self.results):
            return False
        if not self.wait:
            return True
        return all(self._settled(r) for r in self.results)

    def _settled(self, result: RowResult) -> bool:
        if result.status in (INVALID, REJECTED, JobStatus.FAILED, JobStatus.CANCELED):
            return True
        if result.status == JobStatus.COMPLETED:
            return self.out_dir is None or bool(result.file) or bool(result.error) or not result.video_id
        return False

    # -- submission ------------------------------------------------------------------------
    def _attach_existing_jobs(self) -> None:
        """Rows an earlier (interrupted) run already submitted get their job back at once, so
        a resumed run only submits what is missing."""
        by_key = {item.idempotency_key: (item, result) for item, result in zip(self.planned, self.results, strict=True)}
        existing = VideoJob.objects.filter(owner=self.owner, idempotency_key__in=list(by_key)).only(
            "id", "status", "idempotency_key", "request_fingerprint"
        )
        for job in existing:
            item, result = by_key[job.idempotency_key]
            if item.fingerprint and job.request_fingerprint and item.fingerprint != job.request_fingerprint:
                result.status, result.error = REJECTED, "submitted before with a different request; see --run-label"
                continue
            result.task_id, result.status, result.existed = str(job.id), job.status, True
            if result.error:  # valid now, or not: the job exists, so follow it
                result.error = ""
            if job.status == JobStatus.QUEUED:
                # A wake-up message may have been lost with the interrupted run; a duplicate
                # one is harmless (the worker claims from the table, not from the message).
                services.enqueue_job(job)

    def _queued_in_batch(self) -> int:
        return sum(1 for r in self.results if r.status == JobStatus.QUEUED)

    def _submit_some(self) -> None:
        self.waiting_for_room = False
        room = self.max_queued - self._queued_in_batch()
        for item, result in zip(self.planned, self.results, strict=True):
            if result.status != PENDING:
                continue
            if room <= 0:
                self.waiting_for_room = True
                return
            try:
                job, created = services.create_job(
                    self.owner,
                    item.spec,
                    idempotency_key=item.idempotency_key,
                    fingerprint=item.fingerprint,
                    source=BATCH_SOURCE,
                    priority=self.priority,
                )
            except (services.TooManyQueued, services.QueueFull, services.StorageFull):
                # The service's caps, or a full disk: wait for the queue to drain (or space).
                self.waiting_for_room = True
                return
            except services.ServiceError as exc:
                result.status, result.error = REJECTED, exc.message
                continue
            result.task_id, result.status, result.existed = str(job.id), job.status, not created
            if job.status == JobStatus.QUEUED:
                room -= 1

    # -- following -------------------------------------------------------------------------
    def refresh(self) -> None:
        by_id = {r.task_id: r for r in self.results if r.task_id and not r.final}
        if not by_id:
            return
        jobs = VideoJob.objects.filter(pk__in=list(by_id)).select_related("video", "reused_from")
        for job in jobs:
            result = by_id[str(job.pk)]
            result.status = job.status
            result.step, result.total_steps, result.eta_seconds = job.step, job.total_steps, job.eta_seconds
            if job.status in TERMINAL_STATUSES:
                result.final = True
                result.error = job.error
                if job.started_at and job.finished_at:
                    result.seconds = round((job.finished_at - job.started_at).total_seconds(), 3)
                    if job.status == JobStatus.COMPLETED:
                        self._run_seconds.append(result.seconds)
                video = job.result_video if job.status == JobStatus.COMPLETED else None
                result.video_id = str(video.pk) if video else ""

    def _copy_outputs(self) -> None:
        if self.out_dir is None:
            return
        for result in self.results:
            if result.status == JobStatus.COMPLETED and result.video_id and not result.file and not result.error:
                try:
                    result.file = str(copy_video(result, self.out_dir))
                except OSError as exc:  # disk full, folder not writable, file purged meanwhile
                    result.error = f"could not copy the video to --out: {exc.strerror or exc}"

    # -- display ---------------------------------------------------------------------------
    def _workers(self) -> int | None:
        if not self.wait:
            return None
        if time.monotonic() - self._workers_checked > 5:
            self._workers_alive = live_workers().count()
            self._workers_checked = time.monotonic()
        return self._workers_alive

    def snapshot(self) -> Snapshot:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        running = [r for r in self.results if r.status == JobStatus.PROCESSING]
        return Snapshot(
            total=len(self.results),
            submitted=sum(1 for r in self.results if r.task_id),
            pending=counts.get(PENDING, 0),
            queued=counts.get(JobStatus.QUEUED, 0),
            processing=len(running),
            completed=counts.get(JobStatus.COMPLETED, 0),
            failed=counts.get(JobStatus.FAILED, 0),
            canceled=counts.get(JobStatus.CANCELED, 0),
            invalid=counts.get(INVALID, 0),
            rejected=counts.get(REJECTED, 0),
            step=", ".join(f"{r.step}/{r.total_steps}" for r in running),
            eta_seconds=self._eta(running, counts),
            waiting_for_room=self.waiting_for_room,
            workers_alive=self._workers(),
        )

    def _eta(self, running: list[RowResult], counts: dict[str, int]) -> float | None:
        """Mean run time of this batch's finished jobs times what is left, spread over the
        workers busy with it; None until one job has finished."""
        if not self._run_seconds:
            return None
        mean = sum(self._run_seconds) / len(self._run_seconds)
        waiting = counts.get(JobStatus.QUEUED, 0) + counts.get(PENDING, 0)
        current = sum(r.eta_seconds if r.eta_seconds is not None else mean / 2 for r in running)
        return (waiting * mean + current) / max(1, len(running))


def output_name(result: RowResult) -> str:
    """Readable and unique: row number, the start of the prompt, the start of the task id."""
    slug = slugify(result.prompt)[:48].strip("-") or "video"
    return f"row{result.row:04d}-{slug}-{result.task_id[:8]}.mp4"


def copy_video(result: RowResult, out_dir: Path) -> Path:
    """Copy through Django's storage API (a local folder or S3 alike). Written to a .part
    file and renamed, so an interrupted copy never leaves a truncated MP4 under its real
    name; a file already there from an earlier run is kept."""
    from ..models import Video

    video = Video.objects.filter(pk=result.video_id).first()
    if video is None:
        raise FileNotFoundError(f"video {result.video_id} was deleted")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / output_name(result)
    if target.exists() and target.stat().st_size == video.size_bytes:
        return target
    partial = target.with_suffix(".mp4.part")
    with default_storage.open(video.file.name, "rb") as source, open(partial, "wb") as sink:
        while chunk := source.read(1024 * 1024):
            sink.write(chunk)
    partial.replace(target)
    return target


def summarize(results: list[RowResult]) -> dict[str, int]:
    summary: dict[str, int] = {"rows": len(results)}
    for result in results:
        summary[result.status] = summary.get(result.status, 0) + 1
    summary["existed"] = sum(1 for r in results if r.existed)
    summary["submitted_now"] = sum(1 for r in results if r.task_id and not r.existed)
    return summary


def exit_code(results: list[RowResult], *, waited: bool) -> int:
    """0 when every row is fine: completed (after --wait) or accepted (without it), and its
    video copied when --out was given."""
    for result in results:
        if result.status in (INVALID, REJECTED, PENDING, JobStatus.FAILED, JobStatus.CANCELED) or result.error:
            return 1
        if waited and result.status not in OK_STATUSES:
            return 1
    return 0
