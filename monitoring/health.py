"""Readiness: can this service take and run work right now?"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection

from videos import media_files
from videos.disk_space import disk_state
from videos.selectors import live_workers

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with the reason
        return False, f"database unreachable: {type(exc).__name__}"
    return True, "ok"


def check_broker() -> tuple[bool, str]:
    """The queue the workers read: Redis when REDIS_URL is set, else django-q2's ORM table."""
    try:
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
                socket_timeout=BROKER_TIMEOUT_SECONDS,
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            from django_q.models import OrmQ

            OrmQ.objects.using(settings.Q_CLUSTER.get("orm", "default")).exists()
    except Exception as exc:  # noqa: BLE001
        # The class name only: a broker URL in the message could carry a password.
        return False, f"broker unreachable: {type(exc).__name__}"
    return True, "ok"


def check_workers() -> tuple[bool, str, int]:
    try:
        alive = live_workers().count()
    except Exception as exc:  # noqa: BLE001
        return False, f"cannot read worker heartbeats: {type(exc).__name__}", 0
    if not alive:
        return False, f"no worker heartbeat in the last {settings.COGVIDEO_STALE_AFTER_SECONDS} s", 0
    return True, "ok", alive


def check_storage() -> tuple[bool, str]:
    """Room for new jobs (videos/disk_space.py) and, with media in an object store, whether
    its bucket answers. Reported, but it does not make the service unready: with a full disk
    reads still answer, so a load balancer keeps routing them."""
    try:
        state = disk_state()
    except OSError as exc:
        return False, f"cannot read free space: {type(exc).__name__}"
    if not media_files.is_object_store():
        return not state.full, state.detail
    reachable, detail = media_files.check()
    return not state.full and reachable, f"{state.detail}; {detail}"


def readiness() -> dict:
    db_ok, db_detail = check_database()
    broker_ok, broker_detail = check_broker()
    workers_ok, workers_detail, alive = check_workers() if db_ok else (False, "database unreachable", 0)
    storage_ok, storage_detail = check_storage()
    ready = db_ok and broker_ok and workers_ok
    if not ready:
        logger.info("not ready: database=%s broker=%s workers=%s", db_detail, broker_detail, workers_detail)
    return {
        "ready": ready,
        "checks": {
            "database": {"ok": db_ok, "detail": db_detail},
            "broker": {"ok": broker_ok, "detail": broker_detail, "kind": "redis" if settings.REDIS_URL else "orm"},
            "workers": {"ok": workers_ok, "detail": workers_detail, "alive": alive},
            "storage": {"ok": storage_ok, "detail": storage_detail, "blocks_readiness": False},
        },
        "accepting_jobs": ready and storage_ok,
    }
