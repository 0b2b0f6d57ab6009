"""GET /api/system/status: the operators' fields that monitoring/ adds."""

from __future__ import annotations

from django.utils import timezone

from videos.models import WorkerHeartbeat


def test_extended_fields_match_the_known_jobs(staff_api, known_jobs):
    WorkerHeartbeat.objects.create(
        name="gpu-box:3",
        hostname="gpu-box",
        pid=3,
        device="cuda:0",
        device_name="NVIDIA H100 80GB HBM3",
        model="THUDM/CogVideoX-2b",
        model_loaded=True,
        memory_mode="none",
        model_load_seconds=38.25,
        current_job=known_jobs.jobs["running"].pk,
        gpu_memory_allocated_bytes=11,
        gpu_memory_reserved_bytes=12,
        gpu_memory_peak_bytes=13,
        gpu_memory_free_bytes=14,
        gpu_memory_total_bytes=15,
        last_seen=timezone.now(),
    )
    data = staff_api.get("/api/system/status").json()
    day = data["jobs_24h"]
    assert (day["completed"], day["failed"], day["canceled"]) == (4, 3, 1)
    assert day["success_rate"] == round(4 / 7, 4)
    assert (day["mean_seconds"], day["p50_seconds"], day["p95_seconds"]) == (250.0, 250.0, 385.0)
    assert 119 <= data["queue"]["oldest_queued_age_seconds"] < 180
    assert data["disk"]["free_bytes"] > 0
    (worker,) = data["workers"]["list"]
    assert worker["device"] == "cuda:0" and worker["device_name"] == "NVIDIA H100 80GB HBM3"
    assert worker["model"] == "THUDM/CogVideoX-2b" and worker["memory_mode"] == "none"
    # Staff see which job each worker runs (here another user's); see test_system_status in
    # tests/videos/api for what a non-staff caller sees.
    assert worker["current_job"] == str(known_jobs.jobs["running"].pk)
    assert worker["model_load_seconds"] == 38.25
    assert worker["gpu_memory"] == {
        "allocated_bytes": 11,
        "reserved_bytes": 12,
        "peak_bytes": 13,
        "free_bytes": 14,
        "total_bytes": 15,
    }
    assert worker["heartbeat_at"] == worker["last_seen"] and 0 <= worker["last_seen_age_seconds"] < 5


def test_no_jobs_no_rates(owner_api):
    data = owner_api.get("/api/system/status").json()
    assert data["jobs_24h"]["p95_seconds"] is None and data["jobs_24h"]["success_rate"] is None
    assert data["queue"]["oldest_queued_age_seconds"] is None
