"""`manage.py jobs list|cancel|retry|purge` in-process."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.videos.factories import make_job
from videos import services
from videos.models import JobStatus, VideoJob


def jobs(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("jobs", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_list_filters_and_json(owner, stranger):
    batch = make_job(owner, prompt="from a batch", priority=-10)
    VideoJob.objects.filter(pk=batch.pk).update(source="batch")
    mine = make_job(owner, prompt="from the api")
    theirs = services.cancel_job(make_job(stranger, prompt="someone else's"))

    code, text, _ = jobs("list")
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("task id") and len(lines) == 4
    assert lines[1].startswith(str(theirs.id)) and "canceled" in lines[1]  # newest first
    assert f"{batch.id}  queued     batch   -10   0%" in text

    rows = json.loads(jobs("list", "--owner", "alice", "--source", "batch", "--json")[1])
    assert [(r["task_id"], r["status"], r["priority"], r["owner"]) for r in rows] == [
        (str(batch.id), "queued", -10, "alice")
    ]
    rows = json.loads(jobs("list", "--status", "queued", "--status", "canceled", "--limit", "2", "--json")[1])
    assert [r["task_id"] for r in rows] == [str(theirs.id), str(mine.id)]
    old = make_job(owner, prompt="last month")
    VideoJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert str(old.id) not in jobs("list", "--since", "7d")[1]
    assert jobs("list", "--status", "failed")[1].strip() == "No jobs."


def test_cancel_by_id_and_by_selection(owner, stranger):
    first, second, third = make_job(owner), make_job(owner), make_job(stranger)
    code, text, err = jobs("cancel", str(first.id), "not-a-uuid", "00000000-0000-0000-0000-000000000000")
    assert code == 1
    assert f"{first.id}: canceled" in text and "1 canceled, 2 not." in text
    assert "not-a-uuid: no such task" in err
    first.refresh_from_db()
    assert first.status == JobStatus.CANCELED
    code, _text, err = jobs("cancel", str(first.id))
    assert code == 1 and "already canceled" in err

    code, text, _ = jobs("cancel", "--status", "queued", "--owner", "alice", "--json")
    assert code == 0 and json.loads(text) == {"canceled": [str(second.id)], "moved_on": [], "errors": []}
    third.refresh_from_db()
    assert third.status == JobStatus.QUEUED  # another user's job was not selected
    with pytest.raises(CommandError, match="Give task ids, or --status"):
        jobs("cancel")


def test_cancel_by_status_leaves_a_job_claimed_after_the_selection_running(owner, monkeypatch):
    """The race an operator hits: `cancel --status queued` reads its selection, a worker
    claims one of those jobs, then the cancels are written. The claimed job must keep running."""
    from videos.management.commands.jobs import Command

    oldest, newer = make_job(owner), make_job(owner)
    select = Command._targets

    def select_then_a_worker_claims(self, options):
        selection = select(self, options)
        assert services.claim_next_job("gpu-host:1") == oldest  # a real claim, between read and write
        return selection

    monkeypatch.setattr(Command, "_targets", select_then_a_worker_claims)
    code, text, err = jobs("cancel", "--status", "queued", "--json")
    assert code == 0, err
    assert json.loads(text) == {
        "canceled": [str(newer.id)],
        "moved_on": [{"task_id": str(oldest.id), "status": "processing"}],
        "errors": [],
    }
    oldest.refresh_from_db()
    newer.refresh_from_db()
    assert (oldest.status, newer.status) == (JobStatus.PROCESSING, JobStatus.CANCELED)

    monkeypatch.undo()
    code, text, _ = jobs("cancel", "--status", "queued")
    assert code == 0 and "0 canceled, 0 had moved on, 0 not." in text


def test_cancel_only_if_is_checked_in_the_update(owner):
    job = make_job(owner)
    stale = VideoJob.objects.get(pk=job.pk)  # read while queued
    services.claim_next_job("gpu-host:1")
    with pytest.raises(services.JobNotCancelable) as raised:
        services.cancel_job(stale, only_if=[JobStatus.QUEUED])
    assert raised.value.extra["current_status"] == JobStatus.PROCESSING
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING
    assert services.cancel_job(stale).status == JobStatus.CANCELED  # without the filter it cancels


def test_retry_requeues_failed_and_canceled_only(owner):
    canceled = services.cancel_job(make_job(owner))
    queued = make_job(owner)
    code, text, err = jobs("retry", str(canceled.id), str(queued.id))
    assert code == 1
    assert f"{canceled.id}: requeued" in text and "this one is queued" in err
    canceled.refresh_from_db()
    assert canceled.status == JobStatus.QUEUED and canceled.finished_at is None
    with pytest.raises(CommandError, match="retry --status takes failed or canceled"):
        jobs("retry", "--status", "completed")


def test_purge_command_reports_and_validates_age(owner):
    old = services.cancel_job(make_job(owner))
    VideoJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(hours=3))
    recent = services.cancel_job(make_job(owner))
    code, text, _ = jobs("purge", "--older-than", "2h", "--dry-run")
    assert code == 0 and text.startswith("1 jobs and 0 videos would be deleted")
    assert VideoJob.objects.count() == 2
    result = json.loads(jobs("purge", "--older-than", "2h", "--json")[1])
    assert (result["jobs"], result["dry_run"]) == (1, False)
    assert list(VideoJob.objects.values_list("pk", flat=True)) == [recent.pk]
    with pytest.raises(CommandError, match="is not an age"):
        jobs("purge", "--older-than", "soon")
