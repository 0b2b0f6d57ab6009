"""Answers the API never gives but proxies and wrong URLs do, and the knobs that bound how
long a call may take: per-call options, total time, the CLI's --timeout and -q, bad URLs.

Canned servers stand in for the broken or silent server (the real service cannot be made
to answer like this)."""

from __future__ import annotations

import io
import socket
import time

import pytest
from cogvideo_client import CogVideoClient, RetryPolicy, ServiceUnavailable, Timeout, UnexpectedResponse, cli

from .test_client_retry_unit import QUEUED, CannedServer, _error


@pytest.mark.parametrize(
    "answer,call,says",
    [
        (b"<html><body>Welcome to nginx!</body></html>", "generate", "not JSON"),
        ({"status": "queued"}, "generate", "without a task_id"),
        ({"task_id": "", "status": "queued"}, "generate", "without a task_id"),
        (["t-1"], "status", "without a task_id"),
        ({"results": None}, "tasks", "without a list of tasks"),
        (b"OK", "system_status", "not JSON"),
    ],
)
def test_answers_that_are_not_the_apis_raise_unexpected_response(answer, call, says):
    with CannedServer([(200, {}, answer)]) as server, CogVideoClient(server.url, "tok") as client:
        method = getattr(client, call)
        with pytest.raises(UnexpectedResponse, match=says) as caught:
            method("a fox") if call == "generate" else method("t-1") if call == "status" else method()
    error = caught.value
    assert error.status_code == 200 and error.code == "unexpected_response"
    text = answer.decode() if isinstance(answer, bytes) else None
    if text:
        assert error.body == text and text in str(error)


def test_error_status_with_an_html_body_keeps_status_and_excerpt():
    page = b"<html>" + b"x" * 2000 + b"</html>"
    with CannedServer([(502, {}, page)] * 2) as server:
        client = CogVideoClient(server.url, "tok", retry=RetryPolicy(max_retries=1), sleep=lambda s: None)
        with pytest.raises(Exception) as caught:
            client.status("t-1")
    assert caught.value.status_code == 502 and caught.value.body == page.decode()[:500]


def test_with_options_changes_retries_for_some_calls_only():
    answers = [(503, {"Retry-After": "0"}, _error("queue_full", "busy"))] * 2 + [(200, {}, QUEUED)]
    slept = []
    with CannedServer(answers) as server:
        client = CogVideoClient(server.url, "tok", sleep=slept.append)
        with pytest.raises(ServiceUnavailable):
            client.with_options(max_retries=0).status("t-1")
        assert len(server.requests) == 1 and slept == []
        assert client.status("t-1").task_id == "t-1"  # the client itself still retries
        assert len(server.requests) == 3
        assert client.with_options(timeout=5).retry == client.retry


@pytest.fixture
def silent_server():
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_total_timeout_bounds_a_call_against_a_silent_server(silent_server):
    started = time.monotonic()
    with pytest.raises(Timeout, match="gave up after"):
        CogVideoClient(silent_server, "tok").with_options(total_timeout=1.0).status("t-1")
    assert time.monotonic() - started < 2.5
    started = time.monotonic()
    with pytest.raises(Timeout):
        CogVideoClient(silent_server, "tok").with_options(timeout=0.3, max_retries=1).status("t-1")
    assert time.monotonic() - started < 2.5  # 2 attempts of 0.3 s and one pause of at most 0.5 s


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue(), time.monotonic() - started


def test_cli_timeout_bounds_the_command_against_a_silent_server(silent_server):
    code, out, err, took = run_cli("--url", silent_server, "--timeout", "1.5", "status", "t-1")
    assert code == 5 and took < 3 and "gave up after" in err and out == ""
    # --timeout after the command works as well
    code, _, err, took = run_cli("--url", silent_server, "status", "t-1", "--timeout", "1")
    assert code == 5 and took < 2.5


def test_cli_quiet_after_the_command_silences_retry_warnings(closed_port):
    code, _, err, _ = run_cli("--url", closed_port, "--timeout", "1.5", "status", "t-1")
    assert code in (5, 6) and "retry 1 in" in err  # the warnings are there without -q ...
    code, _, err, _ = run_cli("--url", closed_port, "status", "t-1", "--timeout", "1.5", "-q")
    assert code in (5, 6) and "retry" not in err and err.count("\n") == 1  # ... and only the error with it
    code, _, err, _ = run_cli("--url", closed_port, "--retries", "0", "-q", "status", "t-1")
    assert code == 6 and "after 1 attempt" in err


def test_urls_without_http_or_https_are_refused_clearly():
    for url in ("localhost:7860", "ftp://host", "http://"):
        with pytest.raises(ValueError, match="must start with http:// or https://"):
            CogVideoClient(url)
    code, _, err, _ = run_cli("--url", "video.example.org", "status", "t-1")
    assert code == 2 and "must start with http:// or https://" in err and "'video.example.org'" in err
