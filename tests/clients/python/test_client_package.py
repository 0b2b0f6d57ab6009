"""The client ships on its own: a wheel with only httpx as dependency, a working
``cogvideo`` entry point, no Django import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CLIENT_SRC = REPO / "clients" / "python"


def test_wheel_depends_only_on_httpx_and_installs_a_working_cli(tmp_path):
    # Build from a copy: setuptools leaves build/ and *.egg-info next to the sources.
    source = tmp_path / "src"
    shutil.copytree(CLIENT_SRC, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("cogvideo_client-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert [r.split(";")[0].replace(" ", "") for r in meta.get_all("Requires-Dist")] == ["httpx<1,>=0.24"]
    assert "cogvideo = cogvideo_client.cli:main" in entry_points
    assert "cogvideo_client/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "tools/"))]

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
    )
    # Run from an empty folder with only the installed copy (and httpx) importable.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import cogvideo_client, cogvideo_client.cli;"
        "assert cogvideo_client.__file__.startswith(sys.argv[1]), cogvideo_client.__file__;"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')];"
        "sys.argv = ['cogvideo', '--version']; cogvideo_client.cli.main()"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(site)], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "cogvideo 0.1.0", out.stderr
    script = (site / "bin" / "cogvideo").read_text()
    assert "from cogvideo_client.cli import main" in script
