"""The data folder: everything the service writes on its own disk, made owner-only.

The folder holds the SQLite database and its WAL (every API token is in them), the secret key,
the admin credentials and the videos. settings.py calls ``prepare`` before anything opens a
file there: every entry point (manage.py, gunicorn, django-q2, launch.py) imports settings
first, so no process can create a file in the folder with the umask's looser mode first.
These are the only file-system effects of importing settings, and they are idempotent.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FOLDER_MODE = 0o700
FILE_MODE = 0o600
#: SQLite's files beside the database; SQLite gives its WAL and shared-memory files the mode
#: of the database file, so a database created 0600 keeps them 0600 too.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _owner_only_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ImproperlyConfigured(
            f"The data folder {folder} is writable by other users (mode {mode:o}): anyone could "
            f"replace the database or the secret key. Run `chmod 700 {folder}` and start again."
        )
    if mode != FOLDER_MODE:
        folder.chmod(FOLDER_MODE)  # made beforehand, e.g. 0755 by mkdir under umask 022


def _owner_only_file(path: Path) -> None:
    """Create the file empty and 0600 if it is missing; tighten it if it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
            path.chmod(FILE_MODE)


def prepare(data_dir: Path, *, sqlite_database: Path | None, folders: list[Path]) -> None:
    """Make the data folder and the service's own sub-folders owner-only (refusing one that
    others can write), create the SQLite database file 0600 before SQLite does, and give
    everything the process creates later owner-only modes through the umask."""
    os.umask(0o077)
    _owner_only_folder(data_dir)
    for folder in folders:
        _owner_only_folder(folder)
    if sqlite_database is not None:
        _owner_only_file(sqlite_database)
        for suffix in SQLITE_SUFFIXES[1:]:
            sibling = sqlite_database.with_name(sqlite_database.name + suffix)
            if sibling.exists():
                _owner_only_file(sibling)


def secret_key(data_dir: Path, given: str) -> str:
    """The key from the environment, else the one saved in the data folder (made on first
    start, 0600)."""
    if given:
        return given
    key_file = data_dir / "secret_key"
    if key_file.exists():
        _owner_only_file(key_file)
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
