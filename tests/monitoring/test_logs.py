"""Structured logs: the JSON formatter, secret redaction, and one line per job state change."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from monitoring.logs import JsonFormatter, RedactSecrets, redact
from tests.support.live import ROOT
from tests.videos.factories import make_job
from videos import services, worker
from videos.models import JobStatus

DRF_TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def _record(msg: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("cogvideo.test", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_structured_fields():
    record = _record("job.completed %s", "x", fields={"event": "job.completed", "job_id": "abc", "seconds": 1.5})
    line = JsonFormatter().format(record)
    body = json.loads(line)
    assert "\n" not in line
    assert body["level"] == "INFO" and body["logger"] == "cogvideo.test" and body["message"] == "job.completed x"
    assert (body["event"], body["job_id"], body["seconds"]) == ("job.completed", "abc", 1.5)
    assert body["ts"].endswith("Z")


def test_tracebacks_stay_on_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exc"]


def test_redaction_of_tokens_passwords_and_signatures():
    assert DRF_TOKEN not in redact(f"Authorization: Bearer {DRF_TOKEN}")
    assert DRF_TOKEN not in redact(f"unknown token {DRF_TOKEN} in request")
    assert "s3cr3t-pass" not in redact("login failed password=s3cr3t-pass user=bob")
    assert "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" not in redact("secret whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
    assert "abcdef123" not in redact('{"api_key": "abcdef123"}')
    assert "sig0123456" not in redact("/hook?signature=sig0123456&x=1")
    # Ordinary text and ids stay readable.
    job_id = "7eeefb8d-a172-438a-8606-a11c2b8406c2"
    assert redact(f"job {job_id} completed in 12.5 s") == f"job {job_id} completed in 12.5 s"
    sha256 = "a" * 64
    assert redact(f"sha256 {sha256}") == f"sha256 {sha256}"


def test_the_filter_scrubs_arguments_extras_and_tracebacks(settings):
    settings.COGVIDEO_METRICS_TOKEN = "metrics-token-that-has-no-pattern"
    try:
        raise RuntimeError(f"rejected token {DRF_TOKEN}")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "header was %s", ("Bearer " + DRF_TOKEN,), sys.exc_info()
        )
    record.fields = {"note": "scrape with metrics-token-that-has-no-pattern"}
    assert RedactSecrets().filter(record) is True
    line = JsonFormatter().format(record)
    assert DRF_TOKEN not in line and "metrics-token-that-has-no-pattern" not in line
    assert "[redacted]" in json.loads(line)["message"]


def _events(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == "cogvideo.jobs"]


def test_one_line_per_state_change_of_a_completed_job(owner, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="cogvideo.jobs")
    job = make_job(owner)
    # job_finished is sent once the transaction commits; the test's transaction never does.
    with django_capture_on_commit_callbacks(execute=True):
        worker.run_next_job()
    events = [e for e in _events(caplog) if e["job_id"] == str(job.id)]
    assert [e["event"] for e in events] == ["job.created", "job.started", "job.completed"]
    done = events[-1]
    job.refresh_from_db()
    assert done["user_id"] == owner.pk and done["model"] == "tiny-random" and done["template"] is None
    assert done["seconds"] == round((job.finished_at - job.started_at).total_seconds(), 3)
    assert done["error_kind"] is None and done["status"] == "completed"
    assert "prompt" not in done and job.prompt not in str(events)


def test_failed_and_canceled_jobs_log_their_kind(owner, caplog, settings, tmp_path, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="cogvideo.jobs")
    media = tmp_path / "media"
    media.mkdir()
    (media / "videos").write_text("a file where the videos folder should be")
    settings.MEDIA_ROOT = media
    failing = make_job(owner)
    canceled = make_job(owner, priority=-1)
    with django_capture_on_commit_callbacks(execute=True):
        worker.run_next_job()
        services.cancel_job(canceled)
    by_job = {(e["job_id"], e["event"]): e for e in _events(caplog)}
    failed = by_job[(str(failing.id), "job.failed")]
    assert failed["error_kind"] == "storage_failed" and failed["status"] == JobStatus.FAILED
    assert failed["seconds"] is not None and failed["seconds"] >= 0
    assert [r.levelname for r in caplog.records if getattr(r, "fields", {}).get("event") == "job.failed"] == ["WARNING"]
    assert by_job[(str(canceled.id), "job.canceled")]["seconds"] is None  # canceled before it started


def test_bad_log_settings_are_a_clear_error(tmp_path):
    for variable, value, message in (
        ("COGVIDEO_LOG_FORMAT", "xml", "COGVIDEO_LOG_FORMAT must be 'plain' or 'json', not 'xml'"),
        ("COGVIDEO_LOG_LEVEL", "LOUD", "COGVIDEO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ):
        env = {"PATH": "/usr/bin:/bin", "COGVIDEO_DATA_DIR": str(tmp_path), variable: value}
        result = subprocess.run(
            [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode != 0 and message in result.stderr
