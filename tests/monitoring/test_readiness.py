"""GET /api/health/ready in-process: database, broker and a fresh worker heartbeat."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.support.live import free_port
from videos.models import WorkerHeartbeat


def beat(name: str = "gpu-box:1", age_seconds: float = 0) -> WorkerHeartbeat:
    return WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"hostname": "gpu-box", "pid": 1, "last_seen": timezone.now() - timedelta(seconds=age_seconds)},
    )[0]


def test_ready_with_a_fresh_heartbeat(anon_api, db):
    beat()
    response = anon_api.get("/api/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"] == {"ok": True, "detail": "ok", "kind": "orm"}
    assert body["checks"]["workers"]["alive"] == 1


def test_not_ready_without_workers_is_a_503_saying_why(anon_api, db, settings):
    response = anon_api.get("/api/health/ready")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    body = response.json()
    assert body["error"]["code"] == "not_ready"
    assert (
        body["error"]["message"]
        == f"Not ready: no worker heartbeat in the last {settings.COGVIDEO_STALE_AFTER_SECONDS} s"
    )
    assert body["checks"]["workers"]["ok"] is False and body["checks"]["database"]["ok"] is True


def test_a_stale_heartbeat_does_not_count(anon_api, db, settings):
    beat(age_seconds=settings.COGVIDEO_STALE_AFTER_SECONDS + 5)
    assert anon_api.get("/api/health/ready").status_code == 503
    beat()
    assert anon_api.get("/api/health/ready").status_code == 200


def test_redis_broker_reachable_and_unreachable(anon_api, db, settings):
    beat()
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"  # the local Redis the suite runs
    ok = anon_api.get("/api/health/ready")
    assert ok.status_code == 200 and ok.json()["checks"]["broker"]["kind"] == "redis"
    settings.REDIS_URL = f"redis://:hunter2-password@127.0.0.1:{free_port()}/0"  # nothing listens there
    down = anon_api.get("/api/health/ready")
    assert down.status_code == 503
    broker = down.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["detail"] == "broker unreachable: ConnectionError"
    assert "hunter2" not in down.content.decode()


def test_only_safe_methods(anon_api, db):
    response = anon_api.post("/api/health/ready")
    assert response.status_code == 405 and response.json()["error"]["code"]
