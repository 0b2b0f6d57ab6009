"""The README's five-line Python example, run as written against the live service (only the
URL, the token and, to keep the tiny CPU model fast, the size are filled in)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import pytest

from tests.support.live import ROOT

pytestmark = pytest.mark.live


def readme_python_example() -> str:
    section = (ROOT / "README.md").read_text().split("## Integrating a CMS", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example_gets_a_video(live, live_tokens, tmp_path):
    code = readme_python_example()
    assert code.count("\n") <= 6 and "CogVideoClient" in code
    code = (
        code.replace("http://127.0.0.1:7860", live.url)
        .replace("YOUR-API-TOKEN", live_tokens["owner"])
        .replace("duration=4)", 'duration=1, resolution="64x64")')
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT / "clients" / "python"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "completed 100%" in result.stdout
    video = (tmp_path / "fox.mp4").read_bytes()
    assert video[4:8] == b"ftyp" and len(video) > 1000
    # The file is the one the service recorded.
    with live.client(live_tokens["owner"]) as http:
        listed = http.get("/api/tasks", params={"limit": 100, "status": "completed"}).json()["results"]
    assert hashlib.sha256(video).hexdigest() in {job["video"]["sha256"] for job in listed}
