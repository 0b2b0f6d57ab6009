"""Shared fixtures.

In-process tests use pytest-django (a throwaway database) with owner / stranger / staff
users. Live tests use `live`: real gunicorn + django-q2 processes on their own data folder
(tests/support/live.py), shared by the whole session.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.support.test_env import SESSION_DIR  # noqa: E402 - also loaded first via `-p`

_SESSION_DIR = Path(SESSION_DIR)

from tests.support.live import LiveService  # noqa: E402


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


# The session's live service serves a text and an image-to-video model, each with its own
# worker cluster, as an installation with both checkpoints would (launch.py --model ... --model
# ...): the studio, the clients and WordPress are tested against both kinds.
LIVE_MODELS = ("tiny-random", "tiny-random-i2v")


@pytest.fixture(scope="session")
def live(session_dir):
    service = LiveService(session_dir / "live", extra_env={"COGVIDEO_WORKER_MODELS": ",".join(LIVE_MODELS)}).start()
    service.start_model_cluster(LIVE_MODELS[1])
    yield service
    service.stop()


@pytest.fixture(scope="session")
def live_tokens(live) -> dict[str, str]:
    return {
        "owner": live.create_token("alice"),
        "stranger": live.create_token("bob"),
        "staff": live.create_token("carol-staff", "--staff"),
    }


@pytest.fixture
def owner_http(live, live_tokens):
    with live.client(live_tokens["owner"]) as client:
        yield client


@pytest.fixture
def stranger_http(live, live_tokens):
    with live.client(live_tokens["stranger"]) as client:
        yield client


# --- in-process ------------------------------------------------------------------------------


def _user_with_token(username: str, **extra):
    from django.contrib.auth import get_user_model

    from videos import services

    user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
    user.token = services.issue_account_token(user).text
    return user


@pytest.fixture
def owner(db):
    return _user_with_token("alice")


@pytest.fixture
def stranger(db):
    return _user_with_token("bob")


@pytest.fixture
def staff(db):
    return _user_with_token("carol", is_staff=True)


def _client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {user.token}")
    return client


@pytest.fixture
def owner_api(owner):
    return _client_for(owner)


@pytest.fixture
def stranger_api(stranger):
    return _client_for(stranger)


@pytest.fixture
def staff_api(staff):
    return _client_for(staff)


@pytest.fixture
def anon_api():
    return _client_for(None)


@pytest.fixture
def local_media(settings, tmp_path):
    """Media in a fresh folder on the local disk, whatever the session keeps it in (the
    scale-out pass: an object store), for tests of what a disk does (fills up, refuses)."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pytest_collection_modifyitems(config, items):
    """Tests of the object store (marked object_store, or using object_store_media) run where
    the session has one, the scale-out pass; elsewhere they are deselected, not skipped: there
    is nothing they could test without it."""
    from tests.support.object_store import session_store

    if session_store() is not None:
        return
    needs = [
        item for item in items if item.get_closest_marker("object_store") or "object_store_media" in item.fixturenames
    ]
    if needs:
        config.hook.pytest_deselected(items=needs)
        items[:] = [item for item in items if item not in needs]


@pytest.fixture
def object_store_media(settings):
    """Media in the session's object store under a prefix of this test's own (the scale-out
    pass has one: tests/support/object_store.py); skipped where the session has none."""
    from tests.support.object_store import session_store

    store = session_store()
    if store is None:
        pytest.skip("needs the scale-out pass's object store (COGVIDEO_TEST_OBJECT_STORE=seaweedfs)")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {**settings.STORAGES, "default": store.storage_setting(prefix)}
    yield store, prefix
    store.delete_prefix(prefix)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Nothing shared lives in the cache now (request counters are database rows, rolled back
    with each test); cleared anyway so no test sees another's cached values."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="module")
def chromium_browser():
    """Headless Chromium (Debian's, driven by Playwright), one per test module. Playwright's sync
    API runs an event loop in the main thread while it is open: it allows one instance at a
    time, and asyncio.run() (the async client tests) fails while it lives, so it is opened
    and closed around each browser module only."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
            headless=True,
        )
        yield browser
        browser.close()
