"""Request bodies sent with `Transfer-Encoding: chunked` through the real gunicorn server
(cogvideo_site/chunked.py): read like any body within COGVIDEO_MAX_BODY_BYTES, 413 above."""

from __future__ import annotations

import json

import pytest

from tests.support.live import tiny_job

pytestmark = pytest.mark.live
LIMIT = 64 * 1024  # COGVIDEO_MAX_BODY_BYTES's default, which the test service keeps
JSON = {"Content-Type": "application/json"}


def chunks(body: bytes, size: int = 1000):
    """A generator body: httpx sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_chunked_body_within_the_limit_is_read(owner_http):
    # Padded with whitespace to many chunks, still under the limit.
    body = json.dumps(tiny_job(metadata={"source": "chunked"})).encode() + b" " * 20000
    request = owner_http.build_request("POST", "/api/generate", content=chunks(body), headers=JSON)
    assert request.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in request.headers
    response = owner_http.send(request)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "queued" and job["metadata"] == {"source": "chunked"}
    owner_http.post(f"/api/cancel/{job['task_id']}")  # leave the shared worker idle


@pytest.mark.parametrize("size", [LIMIT + 1, 3 * LIMIT])
def test_a_chunked_body_over_the_limit_is_413(owner_http, size):
    body = json.dumps({"prompt": "x" * size}).encode()
    before = task_ids(owner_http)
    response = owner_http.post("/api/generate", content=chunks(body, 8192), headers=JSON)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    # Nothing was created (the ids: an earlier, canceled job's row may still be written to by
    # the worker that saw the cancel).
    assert task_ids(owner_http) == before


def task_ids(client) -> list[str]:
    return [task["task_id"] for task in client.get("/api/tasks", params={"limit": 100}).json()["results"]]
