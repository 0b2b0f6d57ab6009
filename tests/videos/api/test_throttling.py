"""Per-token rate limits: 429 with Retry-After, counted per user."""

from __future__ import annotations


def test_burst_limit_answers_429_with_retry_after(owner_api, stranger_api, settings):
    settings.COGVIDEO_THROTTLE_RATES = {**settings.COGVIDEO_THROTTLE_RATES, "burst": "3/minute"}
    codes = [owner_api.get("/api/tasks").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = owner_api.get("/api/tasks")
    assert limited.json()["error"]["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert stranger_api.get("/api/tasks").status_code == 200  # another token has its own budget


def test_generate_has_its_own_stricter_scope(owner_api, settings):
    settings.COGVIDEO_THROTTLE_RATES = {**settings.COGVIDEO_THROTTLE_RATES, "generate": "2/minute"}
    body = {"prompt": "a", "duration": 1, "resolution": "64x64"}
    codes = [owner_api.post("/api/generate", body, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = owner_api.post("/api/generate", body, format="json")
    assert limited.json()["error"]["code"] == "throttled" and 0 < int(limited["Retry-After"]) <= 60
    assert owner_api.get("/api/tasks").status_code == 200


def test_idempotent_replays_and_invalid_bodies_do_not_use_the_generate_budget(owner_api, settings):
    settings.COGVIDEO_THROTTLE_RATES = {**settings.COGVIDEO_THROTTLE_RATES, "generate": "1/minute"}
    body = {"prompt": "a", "duration": 1, "resolution": "64x64"}
    assert owner_api.post("/api/generate", {"prompt": ""}, format="json").status_code == 400
    first = owner_api.post("/api/generate", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    replay = owner_api.post("/api/generate", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == replay.status_code == 200 and first.json()["task_id"] == replay.json()["task_id"]
    assert owner_api.post("/api/generate", body, format="json").status_code == 429


def test_health_is_never_throttled(anon_api, settings, db):
    settings.COGVIDEO_THROTTLE_RATES = {**settings.COGVIDEO_THROTTLE_RATES, "burst": "1/minute"}
    assert {anon_api.get("/api/health").status_code for _ in range(3)} == {200}
