"""GET /api/system/status and GET /api/health."""

from __future__ import annotations

from django.utils import timezone

from tests.videos.factories import make_job
from videos import media_files
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
    assert data["workers"]["alive"] == 1 and data["workers"]["list"][0]["name"] == "worker-1"  # not staff: no host
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


def _two_workers():
    WorkerHeartbeat.objects.create(
        name="gpu-box-7:4242", hostname="gpu-box-7", pid=4242, device="cuda:0", model="/srv/models/CogVideoX-2b",
        last_seen=timezone.now(),
    )  # fmt: skip
    WorkerHeartbeat.objects.create(
        name="gone-box-3:5151", hostname="gone-box-3", pid=5151, last_seen=timezone.now() - timezone.timedelta(hours=1)
    )


def test_host_details_are_for_staff_only(owner_api, staff_api, settings, monkeypatch):
    settings.COGVIDEO_MODEL = "/srv/models/CogVideoX-2b"  # a local folder
    _two_workers()
    media = media_files.describe()["location"]  # the media folder, or s3://bucket/prefix
    host_details = ("gpu-box-7", "4242", "gone-box-3", "5151", media, "/srv/models")

    staff_view = staff_api.get("/api/system/status")
    assert staff_view.status_code == 200
    for detail in host_details:
        assert detail in staff_view.content.decode(), detail
    assert staff_view.json()["workers"]["list"][0]["hostname"] == "gpu-box-7"

    owner_view = owner_api.get("/api/system/status")
    assert owner_view.status_code == 200
    text = owner_view.content.decode()
    for detail in host_details:
        assert detail not in text, detail
    data = owner_view.json()
    # The same endpoint and fields otherwise: counts, devices, disk space, model name.
    assert set(data) == set(staff_view.json())
    (worker,) = data["workers"]["list"]
    assert worker["name"] == "worker-1" and worker["device"] == "cuda:0" and "pid" not in worker
    assert worker["model"] == "CogVideoX-2b" and data["model"]["id"] == "CogVideoX-2b"
    assert data["workers"]["dead"][0]["name"] == "worker-2"
    assert data["disk"]["free_bytes"] > 0 and "path" not in data["disk"]
