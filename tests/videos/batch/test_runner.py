"""BatchRunner, one loop step at a time: the batch window, the service's queue caps, the
snapshot the display shows, output names and exit codes."""

from __future__ import annotations

from django.test import override_settings

from videos.batch.readers import BatchRow
from videos.batch.rows import BatchDefaults, plan_rows
from videos.batch.runner import BatchRunner, RowResult, exit_code, output_name
from videos.models import JobStatus, VideoJob

DEFAULTS = BatchDefaults(duration=1, resolution="64x64", quality="draft")


def planned(count: int, word: str = "clip"):
    return plan_rows([BatchRow(line=n, fields={"prompt": f"{word} {n}"}) for n in range(1, count + 1)], DEFAULTS)


def step(runner: BatchRunner) -> None:
    """One pass of the run loop, without sleeping."""
    runner.refresh()
    runner._submit_some()


def test_the_batch_window_holds_back_rows_until_jobs_leave_the_queue(owner):
    runner = BatchRunner(planned(5), owner, max_queued=2)
    runner._attach_existing_jobs()
    step(runner)
    snapshot = runner.snapshot()
    assert (snapshot.submitted, snapshot.queued, snapshot.pending, snapshot.waiting_for_room) == (2, 2, 3, True)
    assert not runner.finished()
    # A worker takes one job: one more row goes in, and no more.
    VideoJob.objects.filter(pk=runner.results[0].task_id).update(status=JobStatus.PROCESSING, step=1, total_steps=2)
    step(runner)
    snapshot = runner.snapshot()
    assert (snapshot.submitted, snapshot.queued, snapshot.processing, snapshot.step) == (3, 2, 1, "1/2")
    assert VideoJob.objects.filter(owner=owner).count() == 3


@override_settings(COGVIDEO_MAX_QUEUED_PER_USER=3)
def test_the_services_queue_cap_makes_the_batch_wait_not_fail(owner):
    runner = BatchRunner(planned(5), owner, max_queued=10)
    step(runner)
    assert [r.status for r in runner.results] == ["queued"] * 3 + ["pending"] * 2
    assert runner.waiting_for_room and all(not r.error for r in runner.results)


def test_a_second_runner_attaches_to_the_jobs_of_the_first(owner):
    first = BatchRunner(planned(3), owner)
    step(first)
    second = BatchRunner(planned(3), owner)
    second._attach_existing_jobs()
    assert [r.task_id for r in second.results] == [r.task_id for r in first.results]
    assert all(r.existed for r in second.results)
    assert second.finished()  # nothing left to submit, and not asked to wait


def test_eta_comes_from_finished_jobs_of_the_batch(owner):
    runner = BatchRunner(planned(4), owner, wait=True)
    step(runner)
    assert runner.snapshot().eta_seconds is None
    runner._run_seconds = [4.0, 6.0]
    for result in runner.results[:2]:
        result.status = JobStatus.COMPLETED
    runner.results[2].status, runner.results[2].eta_seconds = JobStatus.PROCESSING, 1.5
    assert runner.snapshot().eta_seconds == 1 * 5.0 + 1.5


def test_output_names_and_exit_codes():
    result = RowResult(row=7, prompt="A red fox, in SNOW!", idempotency_key="k", task_id="1a2b3c4d-0000")
    assert output_name(result) == "row0007-a-red-fox-in-snow-1a2b3c4d.mp4"
    assert output_name(RowResult(row=1, prompt="日本", idempotency_key="k", task_id="ffff0000")) == (
        "row0001-video-ffff0000.mp4"
    )
    done = RowResult(row=1, prompt="", idempotency_key="", status=JobStatus.COMPLETED)
    queued = RowResult(row=2, prompt="", idempotency_key="", status=JobStatus.QUEUED)
    failed = RowResult(row=3, prompt="", idempotency_key="", status=JobStatus.FAILED)
    assert exit_code([done, queued], waited=False) == 0
    assert exit_code([done, queued], waited=True) == 1
    assert exit_code([done, failed], waited=False) == 1
    assert exit_code([done], waited=True) == 0


def test_a_video_that_cannot_be_copied_is_reported_and_fails_the_run(owner, tmp_path):
    runner = BatchRunner(planned(1), owner, wait=True, out_dir=tmp_path / "out")
    step(runner)
    result = runner.results[0]
    # Completed, but its video is gone by the time the command copies it (purged meanwhile).
    result.status, result.video_id = JobStatus.COMPLETED, "00000000-0000-0000-0000-000000000001"
    runner._copy_outputs()
    assert result.file == "" and result.error.startswith("could not copy the video to --out")
    assert runner.finished()  # settled: the run does not wait forever for the copy
    assert exit_code(runner.results, waited=True) == 1
