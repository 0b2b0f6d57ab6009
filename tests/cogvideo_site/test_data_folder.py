"""The data folder is owner-only after a first start, whatever the umask or a folder made
beforehand; a folder other users can write is refused. Through a real manage.py process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests.support.live import ROOT


def start(data_dir, umask: int = 0o022) -> subprocess.CompletedProcess:
    run_env = {**os.environ, "COGVIDEO_DATA_DIR": str(data_dir)}
    run_env.pop("DATABASE_URL", None)  # the embedded SQLite database is what is checked
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(umask),
    )


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_under_umask_022_in_a_premade_0755_folder_is_owner_only(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    done = start(data)
    assert done.returncode == 0, done.stderr
    database = data / "cogvideo.sqlite3"
    assert database.stat().st_size > 0  # migrated: SQLite wrote into the file made 0600
    files = [database, data / "secret_key", *[data / f"cogvideo.sqlite3{s}" for s in ("-wal", "-shm")]]
    assert {path.name: mode(path) for path in files if path.exists()} == {
        path.name: 0o600 for path in files if path.exists()
    }
    folders = [data, data / "media", data / "static", data / "metrics"]
    assert {path.name: mode(path) for path in folders} == {path.name: 0o700 for path in folders}
    made_later = [path for path in data.rglob("*") if path.is_file() and mode(path) & 0o077]
    assert made_later == []


def test_a_folder_others_can_write_is_refused_with_advice(tmp_path):
    data = tmp_path / "shared"
    data.mkdir()
    os.chmod(data, 0o777)
    done = start(data)
    assert done.returncode != 0
    assert "writable by other users" in done.stderr and f"chmod 700 {data}" in done.stderr
    assert not (data / "cogvideo.sqlite3").exists() and not (data / "secret_key").exists()
