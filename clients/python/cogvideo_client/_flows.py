"""Every API call as a generator that does no I/O: the one copy of the clients' logic.

A flow yields what it needs done (``Send`` a request, ``Sleep``, ``Copy`` a body to a
file, ``Notify`` a callback) and is sent back the outcome; it returns the call's result
or raises the client's error.  ``CogVideoClient`` drives flows with httpx.Client and
``time.sleep``, ``AsyncCogVideoClient`` with httpx.AsyncClient and ``asyncio.sleep``
(see ``_run`` in client.py and aio.py), so retries, deadlines, error mapping, resumed
downloads and polling are written once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx

from . import _core
from .errors import APIError, JobCanceled, JobFailed, Timeout, UnexpectedResponse
from .models import CANCELED, COMPLETED, FAILED, ModelInfo, SystemStatus, Task, TaskPage
from .retry import RetryPolicy, new_idempotency_key

T = TypeVar("T")


@dataclass(frozen=True)
class Send:
    """Send one request; the outcome is the ``httpx.Response`` or the ``httpx.HTTPError``.

    With ``stream`` the body is not read: the flow then yields ``Copy``, ``Read`` or
    ``Close`` for that response."""

    method: str
    url: str
    headers: dict[str, str]
    timeout: httpx.Timeout
    params: Mapping[str, Any] | None = None
    json: Any = None
    stream: bool = False


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Read:
    """Read (and close) a streamed response's body."""

    response: httpx.Response


@dataclass(frozen=True)
class Close:
    response: httpx.Response


@dataclass(frozen=True)
class Copy:
    """Append a streamed body to ``path`` (mode ``"wb"`` or ``"ab"``), calling
    ``on_progress(written, total)`` per chunk; close the response.  The outcome is the
    number of bytes written in all (``written`` plus this body) or the ``httpx.HTTPError``."""

    response: httpx.Response
    path: Path
    mode: str
    written: int
    total: int | None
    on_progress: Callable[[int, int | None], Any] | None


@dataclass(frozen=True)
class Notify:
    """Call ``callback(*args)`` (awaiting it in the async client if it is a coroutine)."""

    callback: Callable[..., Any]
    args: tuple[Any, ...]


Action = Send | Sleep | Read | Close | Copy | Notify
Flow = Generator[Action, Any, T]


@dataclass(frozen=True)
class Settings:
    """What a client (or a ``with_options`` copy of it) sends with every call."""

    base_url: str
    headers: dict[str, str]
    timeout: httpx.Timeout = field(default_factory=lambda: _core.DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: seconds one call may take with all its attempts and pauses (None: no limit)
    total_timeout: float | None = None
    poll_interval: float = _core.DEFAULT_POLL_INTERVAL

    def with_options(
        self,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        total_timeout: float | None = None,
    ) -> Settings:
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = _core.as_timeout(timeout)
        if max_retries is not None:
            changes["retry"] = replace(self.retry, max_retries=max_retries)
        if total_timeout is not None:
            changes["total_timeout"] = total_timeout
        return replace(self, **changes)


class _Attempts:
    """Counts the attempts of one call and decides whether, and after how long, to retry."""

    def __init__(self, settings: Settings, method: str, url: str) -> None:
        self.settings = settings
        self.method = method
        self.url = url
        self.number = 0
        self.started = time.monotonic()
        total = settings.total_timeout
        self.deadline = None if total is None else self.started + total

    def timeout(self) -> httpx.Timeout:
        """This attempt's httpx timeout: the client's, cut to what is left of the deadline."""
        base = self.settings.timeout
        if self.deadline is None:
            return base
        left = max(0.01, self.deadline - time.monotonic())
        connect, read, write, pool = (
            left if p is None else min(p, left) for p in (base.connect, base.read, base.write, base.pool)
        )
        return httpx.Timeout(None, connect=connect, read=read, write=write, pool=pool)

    def after_transport_error(self, exc: Exception) -> float:
        """The pause before the next attempt, or raise the client's error for ``exc``."""
        retryable = isinstance(exc, _core.RETRYABLE_EXCEPTIONS)
        if not retryable or self.number >= self.settings.retry.max_retries:
            raise _core.transport_error(exc, self.method, self.url, self.number + 1) from exc
        return self._pause(self.settings.retry.delay(self.number), exc.__class__.__name__, exc)

    def after_error_answer(self, error: APIError) -> float:
        if not _core.should_retry(error, self.number, self.settings.retry):
            raise error
        delay = self.settings.retry.delay(self.number, error.retry_after)
        return self._pause(delay, f"HTTP {error.status_code}", error)

    def _pause(self, delay: float, why: str, cause: Exception) -> float:
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            spent = time.monotonic() - self.started
            raise Timeout(
                f"{self.method} {self.url}: gave up after {spent:.1f}s and {self.number + 1} "
                f"attempt{'s' if self.number else ''} (last: {why})"
            ) from cause
        _core.log_retry(self.method, self.url, self.number, delay, why)
        self.number += 1
        return delay


def request(
    settings: Settings,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Flow[httpx.Response]:
    """One API call with retries; returns the first answer below 400."""
    url = settings.base_url + path
    headers = dict(settings.headers)
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    attempts = _Attempts(settings, method, url)
    while True:
        outcome = yield Send(method, url, headers, attempts.timeout(), params, json)
        if isinstance(outcome, Exception):
            delay = attempts.after_transport_error(outcome)
        elif outcome.status_code < 400:
            response: httpx.Response = outcome
            return response
        else:
            delay = attempts.after_error_answer(_core.error_from_response(outcome))
        yield Sleep(delay)


def json_object(settings: Settings, method: str, path: str, **kwargs: Any) -> Flow[dict[str, Any]]:
    response = yield from request(settings, method, path, **kwargs)
    data = _core.parse_json(response)
    if not isinstance(data, dict):
        raise UnexpectedResponse.of(response, f"{method} {path} answered JSON that is not an object")
    return data


def task(settings: Settings, method: str, path: str, **kwargs: Any) -> Flow[Task]:
    response = yield from request(settings, method, path, **kwargs)
    data = _core.parse_json(response)
    if not isinstance(data, dict) or not data.get("task_id") or not isinstance(data.get("status"), str):
        raise UnexpectedResponse.of(response, f"{method} {path} answered without a task_id and status")
    return Task.from_json(data)


def generate(
    settings: Settings, prompt: str | None, options: Mapping[str, Any], idempotency_key: str | None
) -> Flow[Task]:
    key = idempotency_key or new_idempotency_key()
    body = _core.generate_body(prompt, options)
    return (yield from task(settings, "POST", "/api/generate", json=body, idempotency_key=key))


def status(settings: Settings, task_id: Any) -> Flow[Task]:
    return (yield from task(settings, "GET", f"/api/status/{_core.path_id(task_id)}"))


def cancel(settings: Settings, task_id: Any, idempotency_key: str | None) -> Flow[Task]:
    key = idempotency_key or new_idempotency_key()
    return (yield from task(settings, "POST", f"/api/cancel/{_core.path_id(task_id)}", idempotency_key=key))


def tasks(settings: Settings, filters: Mapping[str, Any]) -> Flow[TaskPage]:
    params = _core.tasks_params(**filters)
    response = yield from request(settings, "GET", "/api/tasks", params=params)
    data = _core.parse_json(response)
    items = data if isinstance(data, list) else data.get("results") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(t, dict) and t.get("task_id") for t in items):
        raise UnexpectedResponse.of(response, "GET /api/tasks answered without a list of tasks")
    return TaskPage.from_json(data)


def system_status(settings: Settings) -> Flow[SystemStatus]:
    return SystemStatus.from_json((yield from json_object(settings, "GET", "/api/system/status")))


def models(settings: Settings) -> Flow[list[ModelInfo]]:
    """``GET /api/models``: each served model's sizes, frame rates, durations, fits, formats."""
    response = yield from request(settings, "GET", "/api/models")
    data = _core.parse_json(response)
    items = data.get("models") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(m, dict) and m.get("id") for m in items):
        raise UnexpectedResponse.of(response, "GET /api/models answered without a list of models")
    return [ModelInfo.from_json(m) for m in items]


def templates(settings: Settings) -> Flow[list[dict[str, Any]]]:
    response = yield from request(settings, "GET", "/api/templates")
    data = _core.parse_json(response)
    items = data.get("results", data.get("templates")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UnexpectedResponse.of(response, "GET /api/templates answered without a list of templates")
    return list(items)


def health(settings: Settings) -> Flow[dict[str, Any]]:
    return (yield from json_object(settings, "GET", "/api/health"))


def wait(
    settings: Settings,
    task_id: Any,
    timeout: float | None,
    on_progress: Callable[[Task], Any] | None,
    poll_interval: float | None,
) -> Flow[Task]:
    """Poll until the job finishes: the completed Task, or JobFailed / JobCanceled / Timeout."""
    interval = settings.poll_interval if poll_interval is None else poll_interval
    deadline = None if timeout is None else time.monotonic() + timeout
    seen: tuple[Any, ...] | None = None
    while True:
        # Each poll is bounded by the client's own total_timeout, not by what is left of the
        # wait: wait(timeout=0) still looks once.
        current = yield from status(settings, task_id)
        signature = _core.progress_signature(current)
        if on_progress is not None and signature != seen:
            yield Notify(on_progress, (current,))
        seen = signature
        if current.status == FAILED:
            raise JobFailed(current.error or f"task {current.task_id} failed", task=current)
        if current.status == CANCELED:
            raise JobCanceled(current.error or f"task {current.task_id} was canceled", task=current)
        if current.status == COMPLETED:
            return current
        pause = interval
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"task {current.task_id} still {current.status} after {timeout:g}s", task=current)
            pause = min(interval, left)
        yield Sleep(pause)


def download(
    settings: Settings,
    video_id: Any,
    path: str | os.PathLike[str],
    variant: str | None,
    on_progress: Callable[[int, int | None], Any] | None,
    resume: bool,
) -> Flow[Path]:
    """Stream to ``<dest>.part``, resuming with HTTP Range after a drop; rename when whole."""
    vid = _core.path_id(video_id, "video_id")
    dest = _core.download_destination(Path(path), vid, variant)
    part = dest.with_name(dest.name + ".part")
    if not resume and part.exists():
        part.unlink()
    url = f"{settings.base_url}/api/download/{vid}"
    params = {"variant": variant} if variant else None
    attempts = _Attempts(settings, "GET", url)
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = dict(settings.headers, Accept="*/*")
        headers["Accept-Encoding"] = "identity"  # byte offsets must mean file offsets
        if have:
            headers["Range"] = f"bytes={have}-"
        outcome = yield Send("GET", url, headers, attempts.timeout(), params, stream=True)
        if isinstance(outcome, Exception):
            yield Sleep(attempts.after_transport_error(outcome))
            continue
        plan = _core.plan_download(outcome, have)
        if plan == "error":
            yield Read(outcome)
            yield Sleep(attempts.after_error_answer(_core.error_from_response(outcome)))
            continue
        if plan in ("done", "restart"):
            yield Close(outcome)
            if plan == "done":
                break
            part.unlink()
            continue
        mode, written, total = plan
        copied = yield Copy(outcome, part, mode, written, total, on_progress)
        if isinstance(copied, Exception):
            yield Sleep(attempts.after_transport_error(copied))
        elif total is None or copied >= total:
            break
        else:
            yield Sleep(attempts.after_transport_error(_core.IncompleteDownload(f"got {copied} of {total} bytes")))
    os.replace(part, dest)
    return dest
