"""The client ships on its own: it builds with the oldest setuptools it declares, in a fresh
environment; the wheel has only httpx as dependency, a working ``cogvideo`` entry point and
no Django import."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CLIENT_SRC = REPO / "clients" / "python"
#: Wheels fetched once from PyPI and reused offline by later runs.
WHEELHOUSE = Path(os.environ.get("COGVIDEO_TEST_WHEELHOUSE", Path.home() / ".cache" / "cogvideo-tests" / "wheels"))


def pip(*args: str, python: Path | None = None) -> None:
    target = ["--python", str(python)] if python else []
    subprocess.run([sys.executable, "-m", "pip", *target, "--disable-pip-version-check", "-q", *args], check=True)


def oldest_declared_setuptools() -> str:
    """The floor of the build backend in pyproject's build-system.requires."""
    requires = tomllib.loads((CLIENT_SRC / "pyproject.toml").read_text())["build-system"]["requires"]
    (floor,) = [re.fullmatch(r"setuptools>=([\d.]+)", r).group(1) for r in requires if r.startswith("setuptools")]
    return floor


def test_wheel_builds_with_the_oldest_declared_setuptools_and_installs_a_working_cli(tmp_path):
    version = oldest_declared_setuptools()
    if not list(WHEELHOUSE.glob(f"setuptools-{version}-*.whl")):
        pip("download", "--only-binary=:all:", "--no-deps", f"setuptools=={version}", "-d", str(WHEELHOUSE))
    # A fresh environment with nothing but that setuptools (pip runs from outside it).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    pip("install", "--no-index", "--find-links", str(WHEELHOUSE), f"setuptools=={version}", python=python)
    # Build from a copy: setuptools leaves build/ and *.egg-info next to the sources.
    source = tmp_path / "src"
    shutil.copytree(CLIENT_SRC, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    pip("wheel", "--no-index", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source),
        python=python)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("cogvideo_client-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert [r.split(";")[0].replace(" ", "") for r in meta.get_all("Requires-Dist")] == ["httpx<1,>=0.24"]
    assert "cogvideo = cogvideo_client.cli:main" in entry_points
    assert meta["License-Expression"] == "Apache-2.0"
    assert "cogvideo_client/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "tools/"))]

    site = tmp_path / "site"
    pip("install", "--no-deps", "--target", str(site), str(wheel))
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
