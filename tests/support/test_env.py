"""Loaded with `-p` (pyproject addopts) before pytest-django reads the settings: the test
process gets its own throwaway data folder (database, media, cache) and the tiny model,
never the repository's ./data."""

from __future__ import annotations

import os
import tempfile

SESSION_DIR = tempfile.mkdtemp(prefix="cogvideo-tests-")
os.environ["COGVIDEO_DATA_DIR"] = os.path.join(SESSION_DIR, "in-process")
os.environ.setdefault("COGVIDEO_MODEL", "tiny-random")
