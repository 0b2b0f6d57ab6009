"""GET /api/system/status and GET /api/health."""

from __future__ import annotations

from django.utils import timezone

from tests.videos.factories import make_job
from videos.models import WorkerHeartbeat


def test_system_status_reports_model_queue_workers_disk(owner_api, owner):
    make_job(owner)
    make_job(owner)
    WorkerHeartbeat.objects.create(
        name="gpu-box:1", hostname="gpu-box", pid=1, device="cuda:0", model="tiny-random", last_seen=timezone.now()
    )
    WorkerHeartbeat.objects.create(
        name="dead:2", hostname="dead", pid=2, last_seen=timezone.now() - timezone.timedelta(hours=1)
    )
    data = owner_api.get("/api/system/status").json()
    assert data["model"]["id"] == "tiny-random"
    assert data["queue"]["queued"] == 2 and data["queue"]["depth"] == 2
    assert data["workers"]["alive"] == 1 and data["workers"]["list"][0]["name"] == "gpu-box:1"
    assert data["device"] == "cuda:0"
    assert data["disk"]["free_bytes"] > 0
    assert data["memory"]["host"]["total_bytes"] > 0


def test_system_status_needs_a_token(anon_api, db):
    assert anon_api.get("/api/system/status").status_code == 401


def test_health_is_public(anon_api, db):
    response = anon_api.get("/api/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_workers_show_only_the_callers_own_running_job(owner_api, staff_api, owner, stranger):
    theirs = make_job(stranger)
    WorkerHeartbeat.objects.create(
        name="gpu:9", hostname="gpu", pid=9, device="cuda:0", current_job=theirs.id, last_seen=timezone.now()
    )
    assert owner_api.get("/api/system/status").json()["workers"]["list"][0]["current_job"] is None
    assert staff_api.get("/api/system/status").json()["workers"]["list"][0]["current_job"] == str(theirs.id)
