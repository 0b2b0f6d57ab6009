"""Loaded with `-p` (pyproject addopts) before pytest-django reads the settings: the test
process gets its own throwaway data folder (database, media, cache) and the tiny model,
never the repository's ./data.

With COGVIDEO_TEST_OBJECT_STORE=seaweedfs (the scale-out pass of scripts/test.sh) media goes
to a real S3 server started here for the session (tests/support/object_store.py): the test
process and every live service keep their files in it, under their own prefixes, and no media
folder exists on any of their disks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SESSION_DIR = tempfile.mkdtemp(prefix="cogvideo-tests-")
os.environ["COGVIDEO_DATA_DIR"] = os.path.join(SESSION_DIR, "in-process")
os.environ.setdefault("COGVIDEO_MODEL", "tiny-random")

OBJECT_STORE = os.environ.get("COGVIDEO_TEST_OBJECT_STORE", "")
if OBJECT_STORE not in ("", "seaweedfs"):
    raise SystemExit(f"COGVIDEO_TEST_OBJECT_STORE={OBJECT_STORE!r}: give seaweedfs, or leave it unset")
if OBJECT_STORE:
    from tests.support.object_store import start_session_store

    os.environ.update(start_session_store(Path(SESSION_DIR) / "seaweedfs").settings_env("in-process"))
