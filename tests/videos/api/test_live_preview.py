"""GET /api/tasks/{id}/live-preview and the status body's live_preview_url: the running job's
latest preview for its owner only, a new URL for each step, gone when the job ends."""

from __future__ import annotations

from tests.videos.factories import make_job
from videos import services

JPEG = b"\xff\xd8\xff\xe0" + b"preview" * 10


def test_a_denoising_jobs_preview_for_its_owner_only(owner, owner_api, stranger_api):
    job = make_job(owner)
    assert owner_api.get(f"/api/status/{job.id}").json()["live_preview_url"] is None
    assert owner_api.get(f"/api/tasks/{job.id}/live-preview").status_code == 404  # queued: none yet
    claimed = services.claim_next_job("test-worker")
    assert services.record_live_preview(claimed, JPEG, step=3)
    url = owner_api.get(f"/api/status/{job.id}").json()["live_preview_url"]
    assert url.endswith(f"/api/tasks/{job.id}/live-preview?step=3")
    shown = owner_api.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg" and shown.content == JPEG
    assert shown["Cache-Control"] == "no-store"
    assert stranger_api.get(url).status_code == 404
    services.record_live_preview(claimed, JPEG + b"more", step=5)
    assert owner_api.get(f"/api/status/{job.id}").json()["live_preview_url"].endswith("?step=5")
    # The job ends: no preview left, in the row or the API.
    services.fail_job(claimed, "generation_failed", "It broke.")
    claimed.refresh_from_db()
    assert claimed.live_preview is None and claimed.live_preview_step == 0
    assert owner_api.get(f"/api/status/{job.id}").json()["live_preview_url"] is None
    assert owner_api.get(f"/api/tasks/{job.id}/live-preview").status_code == 404
    assert not services.record_live_preview(claimed, JPEG, step=6)  # a finished job takes none


def test_the_worker_records_previews_and_clears_them_when_done(owner, monkeypatch):
    from videos import worker
    from videos.generation import live_preview

    monkeypatch.setattr(live_preview, "PREVIEW_INTERVAL", 0.0)  # a preview after every step but the last
    job = make_job(owner, num_inference_steps=3)
    worker.run_next_job()
    job.refresh_from_db()
    assert job.status == "completed" and job.params["timings"]["previews"] == 2
    assert job.live_preview is None and job.live_preview_step == 0
