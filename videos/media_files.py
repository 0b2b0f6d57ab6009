"""Reading stored media the same way whatever holds it: a folder on this machine (Django's
FileSystemStorage, a local or shared disk) or an object store (videos/object_storage.py, no
file on any host). Downloads, the worker's check after an upload, the disk report and
readiness use these instead of file paths, so no code but FileSystemStorage's own assumes a
media folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from django.core.files.storage import Storage, default_storage

CHUNK = 256 * 1024


class StoredFileMismatch(Exception):
    """What the storage holds is not the file that was written (size or SHA-256 differ)."""


def is_object_store(storage: Storage | None = None) -> bool:
    return bool(getattr(storage or default_storage, "is_object_store", False))


def local_root(storage: Storage | None = None) -> Path | None:
    """The media folder on this machine's disk, or None when media is not in a local folder."""
    try:
        return Path((storage or default_storage).path(""))
    except NotImplementedError:
        return None


def read_range(storage: Storage, name: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of a stored file, in chunks: one ranged GET from an object
    store, a seek and reads from a local file."""
    if is_object_store(storage):
        return storage.stream(name, start, end)
    return _file_chunks(storage.open(name, "rb"), start, end - start + 1)


def read_all(storage: Storage, name: str) -> Iterator[bytes]:
    if is_object_store(storage):
        return storage.stream(name)
    return _file_chunks(storage.open(name, "rb"), 0, None)


def _file_chunks(handle, start: int, length: int | None) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining is None or remaining > 0:
            data = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            yield data
    finally:
        handle.close()


def verify_stored(name: str, sha256: str, size: int, storage: Storage | None = None) -> str:
    """Check that `name` in storage is the file written: its size and SHA-256. An object
    store's own checksum (computed and checked by the store on upload) is used when it has
    one for the whole object; otherwise the file is read back and hashed. Returns how it was
    checked ("store checksum" or "read back"); raises StoredFileMismatch."""
    storage = storage or default_storage
    if is_object_store(storage):
        stored_size, digest = storage.stored_size_and_sha256(name)  # one HEAD
    else:
        stored_size, digest = storage.size(name), None
    if stored_size != size:
        raise StoredFileMismatch(f"{name}: {stored_size} bytes stored, {size} written")
    how = "store checksum"
    if digest is None:
        hasher = hashlib.sha256()
        for chunk in read_all(storage, name):
            hasher.update(chunk)
        digest, how = hasher.hexdigest(), "read back"
    if digest != sha256:
        raise StoredFileMismatch(f"{name}: stored SHA-256 {digest[:12]}…, written {sha256[:12]}… ({how})")
    return how


def describe(storage: Storage | None = None) -> dict:
    """Where media lives, for the system status (staff only) and logs: never a credential."""
    storage = storage or default_storage
    if is_object_store(storage):
        return {"backend": "s3", "location": storage.describe()}
    root = local_root(storage)
    if root is not None:
        return {"backend": "filesystem", "location": str(root)}
    return {"backend": type(storage).__name__, "location": ""}


def check(storage: Storage | None = None) -> tuple[bool, str]:
    """Whether stored media can be reached now (readiness reports it)."""
    storage = storage or default_storage
    if is_object_store(storage):
        return storage.check()
    return True, "local media folder"
