"""Is there room for new work? Free space under the folders a job writes to (the media folder
and the data folder, where SQLite and the scratch files live), and whether an error means a
full disk. Read by services.create_job (refuses new jobs with storage_full, 503, before
anything is accepted), the worker (a write that fails ENOSPC fails the job as storage_full),
the API's error handler, the system status and readiness.

A full disk must cost only what needs the disk: reads (status, lists, downloads) do not
depend on it, and the request counters fail open when they cannot be written
(videos/api/throttling.py).
"""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import media_files

MIB = 1024 * 1024


@dataclass(frozen=True)
class DiskState:
    free_bytes: int
    min_free_bytes: int
    folder: str  # which folder ("media" or "data") has the least room

    @property
    def full(self) -> bool:
        return self.free_bytes < self.min_free_bytes

    @property
    def detail(self) -> str:
        free = self.free_bytes / MIB
        if self.full:
            return (
                f"storage full: {free:.0f} MiB free in the {self.folder} folder, below "
                f"COGVIDEO_MIN_FREE_DISK_MB={self.min_free_bytes // MIB}; new jobs are refused"
            )
        return f"ok: {free:.0f} MiB free in the {self.folder} folder"


def _free_bytes(folder: Path) -> int:
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free
        except FileNotFoundError:
            continue
    return 0


def disk_state() -> DiskState:
    # Media in an object store takes no room here: then only the data folder counts.
    media = media_files.local_root()
    folders = {"data": Path(settings.DATA_DIR)} if media is None else {"media": media, "data": Path(settings.DATA_DIR)}
    name, free = min(((name, _free_bytes(path)) for name, path in folders.items()), key=lambda item: item[1])
    return DiskState(free_bytes=free, min_free_bytes=settings.COGVIDEO_MIN_FREE_DISK_MB * MIB, folder=name)


STORAGE_FULL_MESSAGE = "The server's storage is full; new jobs are refused until space is freed. Try again later."

# What the databases say when they cannot write for lack of space.
_SQLITE_FULL = "database or disk is full"
_POSTGRES_DISK_FULL = "53100"
_SQLITE_IO_ERROR = "disk I/O error"


def is_disk_full_error(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is a write that failed for lack of space: ENOSPC,
    SQLite's SQLITE_FULL, PostgreSQL's disk_full."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if _SQLITE_FULL in str(exc) or getattr(exc, "sqlstate", None) == _POSTGRES_DISK_FULL:
            return True
        if _SQLITE_IO_ERROR in str(exc) and disk_state().free_bytes < MIB:
            return True  # SQLite could not create its WAL files: that too is a full disk
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
