"""Helpers for the live batch tests: run `generate_batch` / `jobs` against the `live`
service's data folder (its environment), and read its job table directly."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid

from tests.support.live import PYTHON, ROOT, LiveService

TINY = ["--duration", "1", "--resolution", "64x64", "--quality", "draft", "--poll", "0.2"]


def tag() -> str:
    """A word unique to one test, put in its prompts to find its jobs."""
    return "t" + uuid.uuid4().hex[:10]


def spawn(live: LiveService, *args: str, **popen) -> subprocess.Popen:
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([PYTHON, "manage.py", *args], cwd=ROOT, env=live.env, text=True, **popen)


def run_json(live: LiveService, *args: str, timeout: float = 180) -> tuple[int, dict]:
    done = live.manage(*args, "--json", check=False, timeout=timeout)
    assert done.stdout.strip(), f"no JSON output (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def query(live: LiveService, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the live service's database (SQLite file, or its PostgreSQL database)."""
    url = live.env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()
    path = live.data_dir / "cogvideo.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


def jobs_with(live: LiveService, word: str) -> list[tuple]:
    """(id, idempotency_key, status, created_at) of the jobs whose prompt has `word`."""
    return query(
        live,
        "SELECT id, idempotency_key, status, created_at FROM videos_videojob WHERE prompt LIKE ? ORDER BY created_at",
        (f"%{word}%",),
    )


def cancel_queued(live: LiveService, word: str) -> None:
    ids = [str(row[0]) for row in jobs_with(live, word) if row[2] in ("queued", "processing")]
    if ids:
        live.manage("jobs", "cancel", *ids, check=False)


def pty_reader(master: int) -> tuple[list[bytes], object]:
    """Collect what a child writes to a pseudo-terminal, in a thread."""
    import threading

    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return chunks, thread
