"""The settings' environment readers: one prefix, strict values, old names with a warning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from cogvideo_site import env
from tests.support.live import ROOT


def test_an_old_name_still_works_and_says_what_to_use(monkeypatch):
    monkeypatch.delenv("COGVIDEO_MODEL", raising=False)
    monkeypatch.setenv("COGVIDEOX_MODEL", "/models/CogVideoX-2b")
    with pytest.warns(env.DeprecatedSettingWarning, match="set COGVIDEO_MODEL instead"):
        assert env.env_str("COGVIDEO_MODEL", "THUDM/CogVideoX-2b") == "/models/CogVideoX-2b"


def test_the_new_name_wins_over_the_old_one(monkeypatch):
    monkeypatch.setenv("COGVIDEO_MODEL", "tiny-random")
    monkeypatch.setenv("COGVIDEOX_MODEL", "/models/CogVideoX-2b")
    with pytest.warns(env.DeprecatedSettingWarning, match="COGVIDEOX_MODEL is ignored"):
        assert env.env_str("COGVIDEO_MODEL") == "tiny-random"


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (lambda: env.env_int("COGVIDEO_TEST_NUMBER", 1), "two", "COGVIDEO_TEST_NUMBER='two': give a whole number"),
        (lambda: env.env_int("COGVIDEO_TEST_NUMBER", 1, minimum=1), "0", "COGVIDEO_TEST_NUMBER=0: give 1 or more"),
        (lambda: env.env_bool("COGVIDEO_TEST_NUMBER"), "maybe", "give one of 1/0, true/false"),
        (lambda: env.env_choice("COGVIDEO_TEST_NUMBER", "a", ("a", "b")), "c", "must be 'a' or 'b', not 'c'"),
    ],
)
def test_a_value_that_cannot_be_read_stops_with_the_variable_named(monkeypatch, reader, value, message):
    monkeypatch.setenv("COGVIDEO_TEST_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(")):
        reader()


def test_unset_and_empty_mean_the_default(monkeypatch):
    monkeypatch.setenv("COGVIDEO_TEST_NUMBER", "")
    assert env.env_int("COGVIDEO_TEST_NUMBER", 7) == 7 and env.env_bool("COGVIDEO_TEST_NUMBER", True) is True
    monkeypatch.delenv("COGVIDEO_TEST_NUMBER")
    assert env.env_str("COGVIDEO_TEST_NUMBER", "x") == "x" and env.env_list("COGVIDEO_TEST_NUMBER", ["a"]) == ["a"]


def test_a_service_started_with_a_bad_value_refuses_with_the_variable_named(tmp_path):
    run_env = {**os.environ, "COGVIDEO_DATA_DIR": str(tmp_path / "data"), "COGVIDEO_WORKERS": "two"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "COGVIDEO_WORKERS='two': give a whole number" in done.stderr


def test_code_reads_settings_not_the_environment():
    """Only cogvideo_site/settings.py and env.py read the service's variables."""
    offenders = []
    for path in [*ROOT.glob("videos/**/*.py"), *ROOT.glob("monitoring/**/*.py"), *ROOT.glob("cms_integration/*.py")]:
        text = path.read_text()
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(ROOT)))
    launch = (ROOT / "launch.py").read_text()
    reads = [line for line in launch.splitlines() if "os.environ.get(" in line or "os.getenv(" in line]
    assert offenders == [] and reads == []
