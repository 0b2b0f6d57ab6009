"""The package ships py.typed, so its types are a promise: mypy --strict passes for every
Python version the package claims (its classifiers), not only the one running the tests."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ..conftest import CLIENT_SRC


def claimed_versions() -> list[str]:
    text = (CLIENT_SRC / "pyproject.toml").read_text()
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)


def test_claims_the_versions_requires_python_allows():
    text = (CLIENT_SRC / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10"' in text and claimed_versions()[0] == "3.10"


@pytest.mark.parametrize("version", claimed_versions())
def test_mypy_strict_passes(version, tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"  # shared: httpx's types are read once
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", version, "--cache-dir", str(cache),
         "cogvideo_client"],
        cwd=CLIENT_SRC, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
