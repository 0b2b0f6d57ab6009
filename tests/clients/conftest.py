"""Fixtures for the client tests.

``cogvideo_client`` is its own distribution (clients/python/pyproject.toml); the tests
import it from the source folder so they never run against a stale install.

Besides the suite's shared ``live`` service, two more real services (gunicorn + django-q2,
tests/support/live.py) are started on demand, once per session:

* ``cors_live``: the tiny model, with the test page origin on the CORS allow-list, for
  the JavaScript client in Chromium;
* ``strained_live``: a model folder that does not exist (every job fails the way a
  server without weights fails them) and queue caps of 1 job per user / 2 in total, so
  JobFailed, 429 and 503 come from the real service.  Tests that need its queue to stay
  queued stop its workers first (``without_workers``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT_SRC = REPO / "clients" / "python"

if str(CLIENT_SRC) not in sys.path:
    sys.path.insert(0, str(CLIENT_SRC))

from tests.support.live import LiveService  # noqa: E402

from .browser import PageServer  # noqa: E402

#: The setting (environment variable) that lists the origins allowed to call the API.
CORS_ENV = "COGVIDEO_CORS_ALLOWED_ORIGINS"
PER_USER_CAP = 1
TOTAL_CAP = 2


@pytest.fixture(scope="session")
def live_tokens(live) -> dict[str, str]:
    """The suite's ``live_tokens``, but users of our own: the many jobs these tests create
    never show up in other tests' listings on the shared service."""
    return {"owner": live.create_token("client-owner"), "stranger": live.create_token("client-stranger")}


@pytest.fixture(scope="session")
def pages(tmp_path_factory):
    with PageServer(tmp_path_factory.mktemp("pages")) as server:
        yield server


@pytest.fixture(scope="session")
def cors_live(session_dir, pages):
    service = LiveService(session_dir / "client-cors", extra_env={CORS_ENV: pages.origin}).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def strained_live(session_dir, pages):
    service = LiveService(
        session_dir / "client-strained",
        extra_env={
            CORS_ENV: pages.origin,
            "COGVIDEO_MODEL": str(session_dir / "no-such-model-folder"),
            "COGVIDEO_PROFILE": "cogvideox-2b",
            "COGVIDEO_ALLOW_DOWNLOAD": "0",
            "COGVIDEO_MAX_QUEUED_PER_USER": str(PER_USER_CAP),
            "COGVIDEO_MAX_QUEUED_TOTAL": str(TOTAL_CAP),
        },
    ).start()
    service.tokens = {name: service.create_token(name) for name in ("erin", "frank", "grace")}
    yield service
    service.stop()


@pytest.fixture
def with_workers(strained_live):
    if strained_live.cluster is None or strained_live.cluster.poll() is not None:
        strained_live.start_cluster()
    return strained_live


@pytest.fixture
def without_workers(strained_live):
    """The strained service with its cluster stopped, so jobs stay queued; every job the
    test queued is canceled afterwards so the caps start empty for the next test."""
    strained_live.stop_cluster()
    strained_live.queued = []  # (token, task_id) pairs the test must leave canceled
    yield strained_live
    import httpx

    for token, task_id in strained_live.queued:
        httpx.post(
            f"{strained_live.url}/api/cancel/{task_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    return chromium_browser


def jobs_with_prompt(service, prompt: str) -> int:
    """How many jobs a service's database holds for a prompt (the truth, not an API answer)."""
    code = f"from videos.models import VideoJob; print(VideoJob.objects.filter(prompt={prompt!r}).count())"
    return int(service.manage("shell", "-c", code).stdout.split()[-1])


@pytest.fixture
def real_delivery(db, owner):
    """A webhook as the service sends it: a finished job's delivery, signed by
    cms_integration.webhooks and posted over real HTTP to a receiver; returns
    ``(site secret, {"headers": ..., "body": bytes})`` as the receiver got them."""
    from cms_integration import webhooks
    from cms_integration.models import CmsSite, WebhookDelivery
    from tests.cms_integration.test_webhooks import Receiver, finish
    from tests.videos.factories import make_job
    from videos.models import JobStatus

    receiver = Receiver()
    try:
        site = CmsSite.objects.create(name="Verifier", owner=owner, webhook_url=receiver.url)
        job = finish(make_job(owner, prompt="a verified kite"), JobStatus.FAILED)
        webhooks.attempt_delivery(WebhookDelivery.objects.get(job=job).pk)
        (request,) = receiver.requests
    finally:
        receiver.close()
    return site.secret, request
