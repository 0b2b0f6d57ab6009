"""Purging old jobs for `manage.py jobs purge`: rows first, in one transaction, then the
files they referenced, then files no video references (left by a crash between writing a
file and recording it)."""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import TERMINAL_STATUSES, Video, VideoJob

logger = logging.getLogger(__name__)

VIDEO_FOLDER = "videos"  # where the worker stores MP4s and posters (videos/YYYY/MM/)


@dataclass
class PurgeResult:
    jobs: int = 0
    videos: int = 0
    files: int = 0
    bytes: int = 0
    orphan_files: int = 0
    kept_reused: int = 0
    missing_files: list[str] = field(default_factory=list)
    dry_run: bool = False


def purgeable_jobs(cutoff: datetime, *, statuses=TERMINAL_STATUSES, owner=None):
    """Finished jobs older than the cutoff, except those whose video is still the answer of
    a younger job that stays (same-request reuse): deleting it would leave that job
    "completed" with no video."""
    jobs = VideoJob.objects.filter(status__in=[s for s in statuses if s in TERMINAL_STATUSES]).filter(
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    )
    if owner is not None:
        jobs = jobs.filter(owner=owner)
    candidates = set(jobs.values_list("pk", flat=True))
    still_needed = set(
        VideoJob.objects.filter(reused_from__job__in=candidates)
        .exclude(pk__in=candidates)
        .values_list("reused_from__job", flat=True)
    )
    return VideoJob.objects.filter(pk__in=candidates - still_needed), len(still_needed)


def purge(older_than: timedelta, *, statuses=TERMINAL_STATUSES, owner=None, dry_run: bool = False) -> PurgeResult:
    """Delete finished jobs older than `older_than`, their videos and files, then files in
    the video folder that no video references and that are older than the same age (left by
    a crash between writing a file and recording it). Rows go first, in one transaction;
    files after the commit: a failure in between leaves an unreferenced file (the next purge
    removes it), never a row pointing at a missing file."""
    cutoff = timezone.now() - older_than
    jobs, kept = purgeable_jobs(cutoff, statuses=statuses, owner=owner)
    result = PurgeResult(kept_reused=kept, dry_run=dry_run)
    with transaction.atomic():
        videos = list(Video.objects.filter(job__in=jobs).values_list("file", "poster", "size_bytes", "job__params"))
        # The preview and WebM are named in the producing job's params (`files`).
        names = [
            name for file, poster, _size, params in videos for name in (file, poster, *_extra_files(params)) if name
        ]
        # Image-to-video inputs are the job's own files (stored with it, purged with it).
        names += [name for name in jobs.exclude(source_image="").values_list("source_image", flat=True) if name]
        result.jobs = jobs.count()
        result.videos = len(videos)
        result.bytes = sum(size for _file, _poster, size, _params in videos)
        if not dry_run:
            Video.objects.filter(job__in=jobs).delete()
            jobs.delete()
    for name in names:
        if default_storage.exists(name):
            if not dry_run:
                default_storage.delete(name)
            result.files += 1
        else:
            result.missing_files.append(name)
    result.orphan_files = _purge_orphans(cutoff, dry_run=dry_run)
    return result


def _extra_files(params) -> list[str]:
    return list(((params or {}).get("files") or {}).values())


def _walk(folder: str):
    try:
        subfolders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield posixpath.join(folder, name)
    for sub in subfolders:
        yield from _walk(posixpath.join(folder, sub))


def _purge_orphans(cutoff: datetime, *, dry_run: bool) -> int:
    referenced = set()
    for file, poster, params in Video.objects.values_list("file", "poster", "job__params"):
        referenced.update((file, poster, *_extra_files(params)))
    removed = 0
    for name in list(_walk(VIDEO_FOLDER)):
        if name in referenced:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except (OSError, NotImplementedError):
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified, timezone.get_default_timezone())
        # Only old files: a fresh one may belong to a worker that has not recorded it yet.
        if modified < cutoff and modified < timezone.now() - timedelta(seconds=settings.COGVIDEO_JOB_TIMEOUT):
            if not dry_run:
                default_storage.delete(name)
            removed += 1
    if not dry_run:
        _remove_empty_folders()
    return removed


def _remove_empty_folders() -> None:
    """Empty videos/YYYY/MM folders left behind on a local disk (object stores have none)."""
    try:
        root = default_storage.path(VIDEO_FOLDER)
    except NotImplementedError:
        return
    for current, _dirs, _files in os.walk(root, topdown=False):
        # listdir, not os.walk's lists: a child removed a moment ago leaves its parent empty.
        if current != root and not os.listdir(current):
            try:
                os.rmdir(current)
            except OSError:
                pass
