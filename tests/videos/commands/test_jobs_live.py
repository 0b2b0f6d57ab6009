"""`manage.py jobs purge` on the live service: videos made by the real worker processes are
deleted with their rows and files, and nothing of anyone else's is touched."""

from __future__ import annotations

import json

import pytest

from .batch_support import TINY, query, run_json, tag

pytestmark = pytest.mark.live


def files_of(live, username: str) -> list[str]:
    """The user's stored files: each video's MP4 and poster, and the variants (the WebP
    preview, a WebM) named in its job's params."""
    rows = query(
        live,
        "SELECT v.file, v.poster, j.params FROM videos_video v JOIN videos_videojob j ON j.id = v.job_id"
        " JOIN auth_user u ON u.id = v.owner_id WHERE u.username = ?",
        (username,),
    )
    return [
        name for file, poster, params in rows for name in [file, poster, *json.loads(params).get("files", {}).values()]
    ]


def test_purge_removes_rows_and_files_of_finished_jobs(live, live_tokens, tmp_path):
    user, keeper, word = f"purge-{tag()}", f"keep-{tag()}", tag()
    live.create_token(user)
    live.create_token(keeper)
    source = tmp_path / "batch.txt"
    source.write_text(f"a short clip {word}\n")
    code, doc = run_json(live, "generate_batch", str(source), "--owner", user, *TINY, "--wait")
    assert code == 0 and doc["summary"]["completed"] == 1
    kept = tmp_path / "kept.txt"
    kept.write_text(f"a clip to keep {word}\n")
    assert run_json(live, "generate_batch", str(kept), "--owner", keeper, *TINY, "--wait")[0] == 0
    media = live.data_dir / "media"
    names = files_of(live, user)
    assert len(names) == 3 and all((media / name).is_file() for name in names)  # MP4, poster, preview
    others = files_of(live, keeper)
    assert len(others) == 3

    done = live.manage("jobs", "purge", "--older-than", "0s", "--owner", user, "--json")
    result = json.loads(done.stdout)
    assert (result["jobs"], result["videos"], result["files"], result["missing_files"]) == (1, 1, 3, [])
    assert not any((media / name).exists() for name in names)
    assert files_of(live, user) == []
    remaining = query(
        live,
        "SELECT count(*) FROM videos_videojob j JOIN auth_user u ON u.id = j.owner_id WHERE u.username = ?",
        (user,),
    )
    assert remaining == [(0,)]
    # Everyone else's videos are still there, rows and files.
    assert files_of(live, keeper) == others and all((media / name).is_file() for name in others)
