"""No server-side request is made except through videos/egress.py: the project's tracked
Python outside tests/ is scanned (code only: strings and comments are skipped) for HTTP
clients used directly."""

from __future__ import annotations

import io
import re
import subprocess
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "videos/egress.py": "the egress module itself",
    "cogvideo_site/launcher.py": "probes /api/health of the gunicorn it started itself, on loopback",
}
ALLOWED_TREES = {
    "tests/": "the test suite",
    "clients/": "the published client SDKs: run in the caller's process, aimed at the service",
    "benchmarks/": "benchmark harness and scripts driving the local service they started",
}
CLIENT_USE = re.compile(
    r"\b(?:httpx|requests|urllib3|aiohttp|httplib2|pycurl)\s*\.|\burlopen\b|\burllib\s*\.\s*request\b"
    r"|\bhttp\s*\.\s*client\b|\bimport\s+(?:httpx|requests|urllib3|aiohttp)\b|\bfrom\s+(?:httpx|requests|urllib3|aiohttp)\b"
    r"|\bcreate_connection\b"
)


def code_lines(source: str) -> dict[int, str]:
    """The code of each line, strings and comments left out."""
    skipped = {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    lines: dict[int, list[str]] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            lines.setdefault(token.start[0], []).append(token.string)
    return {number: " ".join(parts) for number, parts in lines.items()}


def offenders_in(path: str, source: str) -> list[str]:
    return [
        f"{path}:{number}: {line.strip()}" for number, line in code_lines(source).items() if CLIENT_USE.search(line)
    ]


def server_side_python() -> list[str]:
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [
        path
        for path in tracked.stdout.split()
        if path not in ALLOWED and not any(path.startswith(tree) for tree in ALLOWED_TREES)
    ]


def test_no_request_leaves_except_through_egress():
    paths = server_side_python()
    assert "cms_integration/webhooks.py" in paths and "launch.py" in paths, "the scan sees the project"
    offenders = [hit for path in paths for hit in offenders_in(path, (ROOT / path).read_text())]
    assert not offenders, "use videos.egress for outbound requests:\n" + "\n".join(offenders)


def test_the_scan_finds_direct_use_and_ignores_words_in_text():
    hits = offenders_in(
        "x.py",
        "import httpx\nfrom urllib.request import urlopen\nr = requests.get(u)\n"
        '"""Two requests. httpx is used elsewhere."""\n# urlopen in a comment\nx = 1\n',
    )
    assert [hit.split(":")[1] for hit in hits] == ["1", "2", "3"]
