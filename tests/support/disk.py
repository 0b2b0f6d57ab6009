"""A small disk that really fills up: a tmpfs mounted for a test (the suite runs as root in
CI), filled by writing until ENOSPC, as another process on the machine might."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def mount_tmpfs(folder: Path, mib: int) -> bool:
    """Mount a `mib` MiB tmpfs on `folder`; False where mounting is not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={mib}m,mode=0700", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its disk is full; returns the file (delete it to free)."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        size = 1024 * 1024
        while size >= 4096:  # smaller and smaller writes, until not even a page fits
            try:
                os.write(fd, b"\0" * size)
            except OSError:
                size //= 4
    finally:
        os.close(fd)
    return filler
