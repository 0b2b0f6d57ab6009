"""The client's pure decisions: backoff schedule, Retry-After, error mapping.

These few tests use a canned HTTP server (answers scripted per request) to
pin down what the live-server tests cannot provoke on demand: a 503 followed
by success, a Retry-After longer than we will wait, a 502 from a proxy.
Everything else is proven against the real service in test_client_live.py.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cogvideo_client import (
    AuthError,
    CogVideoClient,
    ConnectionFailed,
    RateLimited,
    RetryPolicy,
    ServiceUnavailable,
    ValidationError,
    parse_retry_after,
    robust_api_call,
)


class CannedServer:
    """Answers each request with the next scripted (status, headers, body)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                status, headers, payload = outer.answers.pop(0)
                raw = isinstance(payload, bytes)  # sent as it is, as HTML: not what the API sends
                data = payload if raw else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll: shutdown() waits for it, and every test ends with one.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _error(code, message, fields=None):
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


QUEUED = {"task_id": "t-1", "status": "queued"}


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    lows = [policy.backoff(n, rng=lambda: 0.0) for n in range(6)]
    highs = [policy.backoff(n, rng=lambda: 1.0) for n in range(6)]
    assert highs == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert lows == [h / 2 for h in highs]  # jitter spans [d/2, d], never zero
    # Retry-After is a floor, with at most 10 % (max 1 s) on top
    assert policy.delay(0, retry_after=3.0, rng=lambda: 0.0) == 3.0
    assert policy.delay(0, retry_after=3.0, rng=lambda: 1.0) == pytest.approx(3.3)
    assert policy.delay(0, retry_after=30.0, rng=lambda: 1.0) == pytest.approx(31.0)


def test_parse_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    # 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_503_then_success_is_retried_with_the_same_idempotency_key():
    answers = [
        (503, {"Retry-After": "2"}, _error("queue_full", "queue is full")),
        (502, {}, {"error": "bad gateway"}),
        (200, {}, QUEUED),
    ]
    slept = []
    with CannedServer(answers) as server:
        client = CogVideoClient(server.url, "tok", sleep=slept.append)
        task = client.generate("a fox", duration=1)
    assert task.task_id == "t-1" and task.status == "queued"
    assert len(server.requests) == 3
    keys = {headers["Idempotency-Key"] for _, _, headers, _ in server.requests}
    assert len(keys) == 1 and next(iter(keys))  # one key for the logical call
    assert all(h["Authorization"] == "Bearer tok" for _, _, h, _ in server.requests)
    assert json.loads(server.requests[0][3]) == {"prompt": "a fox", "duration": 1}
    assert 2.0 <= slept[0] <= 2.2  # honoured Retry-After
    assert 0.25 <= slept[1] <= 1.0  # then exponential backoff (attempt 1: d = 1 s)


def test_errors_map_to_typed_exceptions_without_retrying_client_errors():
    answers = [
        (400, {}, _error("invalid", "bad input", {"duration": ["Must be 1..6."]})),
        (401, {"WWW-Authenticate": "Bearer"}, _error("not_authenticated", "bad token")),
        (429, {"Retry-After": "3600"}, _error("throttled", "slow down")),
    ]
    slept = []
    with CannedServer(answers) as server:
        client = CogVideoClient(server.url, "tok", sleep=slept.append)
        with pytest.raises(ValidationError) as bad:
            client.generate("a fox", duration=60)
        with pytest.raises(AuthError):
            client.status("t-1")
        with pytest.raises(RateLimited) as limited:
            client.status("t-1")  # an hour is longer than we will wait: raise at once
    assert bad.value.fields == {"duration": ["Must be 1..6."]}
    assert bad.value.code == "invalid" and "Must be 1..6." in str(bad.value)
    assert limited.value.retry_after == 3600.0
    assert len(server.requests) == 3 and slept == []


def test_gives_up_after_max_retries_with_the_last_error():
    answers = [(503, {"Retry-After": "0"}, _error("queue_full", "full"))] * 3
    with CannedServer(answers) as server:
        client = CogVideoClient(server.url, "tok", retry=RetryPolicy(max_retries=2), sleep=lambda s: None)
        with pytest.raises(ServiceUnavailable) as exc:
            client.system_status()
    assert len(server.requests) == 3
    assert exc.value.retry_after == 0.0


def test_unreachable_server_raises_connection_failed_after_backoff():
    slept = []
    client = CogVideoClient("http://127.0.0.1:9", "tok", retry=RetryPolicy(max_retries=3), sleep=slept.append)
    with pytest.raises(ConnectionFailed) as exc:
        client.health()
    assert isinstance(exc.value, ConnectionError)  # a builtin handler catches it too
    assert len(slept) == 3 and slept[0] < slept[2]


def test_robust_api_call_reuses_one_idempotency_key_for_every_attempt():
    seen = []

    def flaky_generate(prompt, *, idempotency_key=None):
        seen.append(idempotency_key)
        if len(seen) < 3:
            raise ConnectionFailed("dropped")
        return prompt

    assert robust_api_call(flaky_generate, "a fox", max_retries=3, sleep=lambda s: None) == "a fox"
    assert len(seen) == 3 and len(set(seen)) == 1 and seen[0]
