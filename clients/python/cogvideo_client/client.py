"""The synchronous client."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import _core
from .errors import JobCanceled, JobFailed, Timeout
from .models import CANCELED, COMPLETED, FAILED, SystemStatus, Task, TaskPage
from .retry import RetryPolicy, new_idempotency_key

if TYPE_CHECKING:
    from typing import Self

ProgressCallback = Callable[[Task], Any]
DownloadProgress = Callable[[int, "int | None"], Any]  # (bytes so far, total or None)


class CogVideoClient:
    """Talks to a CogVideoX Studio server.

    >>> client = CogVideoClient("http://localhost:7860", token="...")
    >>> task = client.generate("A red fox running through fresh snow", duration=2)
    >>> done = client.wait(task, on_progress=lambda t: print(t.progress, "%"))
    >>> client.download(done.video_id, "fox.mp4")

    Every call retries connection errors, timeouts, 429 and 503 with
    exponential backoff and jitter (honouring ``Retry-After``).  ``generate``
    and ``cancel`` send one ``Idempotency-Key`` for all their attempts, so a
    retry never creates a second job.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = _core.DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        poll_interval: float = _core.DEFAULT_POLL_INTERVAL,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = _core.resolve_base_url(base_url)
        self.token = _core.resolve_token(token)
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        self._headers = _core.default_headers(self.token, headers)

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CogVideoClient({self.base_url!r})"

    # -- the request loop ------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        url = self.base_url + path
        headers = dict(self._headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        policy = self.retry
        attempt = 0
        while True:
            try:
                response = self._http.request(method, url, json=json, params=params, headers=headers)
            except _core.RETRYABLE_EXCEPTIONS as exc:
                if attempt >= policy.max_retries:
                    raise _core.transport_error(exc, method, url, attempt + 1) from exc
                delay = policy.delay(attempt)
                _core.log_retry(method, url, attempt, delay, exc.__class__.__name__)
            else:
                if response.status_code < 400:
                    return response
                error = _core.error_from_response(response)
                if not _core.should_retry(error, attempt, policy):
                    raise error
                delay = policy.delay(attempt, error.retry_after)
                _core.log_retry(method, url, attempt, delay, f"HTTP {response.status_code}")
            self._sleep(delay)
            attempt += 1

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # -- jobs --------------------------------------------------------------
    def generate(
        self,
        prompt: str | None = None,
        *,
        duration: int | None = None,
        resolution: str | None = None,
        negative_prompt: str | None = None,
        enhance_quality: bool | None = None,
        seed: int | None = None,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        template: str | None = None,
        variables: Mapping[str, Any] | None = None,
        callback_url: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Task:
        """Queue a job (``POST /api/generate``); returns it with ``status == "queued"``.

        ``idempotency_key``: pass your own (e.g. ``f"post-{post.id}-v{post.version}"``)
        to make the call idempotent across processes too; by default one key is
        made per call and reused by its retries.
        """
        body = _core.generate_body(
            prompt,
            dict(
                duration=duration,
                resolution=resolution,
                negative_prompt=negative_prompt,
                enhance_quality=enhance_quality,
                seed=seed,
                num_inference_steps=num_inference_steps,
                guidance_scale=guidance_scale,
                template=template,
                variables=dict(variables) if variables is not None else None,
                callback_url=callback_url,
                metadata=dict(metadata) if metadata is not None else None,
                **extra,
            ),
        )
        key = idempotency_key or new_idempotency_key()
        return Task.from_json(self._json("POST", "/api/generate", json=body, idempotency_key=key))

    def status(self, task_id: str | Task) -> Task:
        """``GET /api/status/{task_id}``."""
        return Task.from_json(self._json("GET", f"/api/status/{_core.path_id(task_id)}"))

    def wait(
        self,
        task_id: str | Task,
        timeout: float | None = _core.DEFAULT_WAIT_TIMEOUT,
        *,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Task:
        """Poll until the job finishes; return it when ``completed``.

        Raises ``JobFailed`` (``JobCanceled``) when it failed (was canceled) and
        ``Timeout`` after ``timeout`` seconds (``None``: wait for ever; the job
        keeps running on the server either way).  ``on_progress(task)`` is
        called whenever status, progress, step, stage or queue position change.
        """
        interval = self.poll_interval if poll_interval is None else poll_interval
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[Any, ...] | None = None
        while True:
            task = self.status(task_id)
            signature = _core.progress_signature(task)
            if on_progress is not None and signature != seen:
                on_progress(task)
            seen = signature
            _raise_if_unsuccessful(task)
            if task.status == COMPLETED:
                return task
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout(
                        f"task {task.task_id} still {task.status} after {timeout:g}s",
                        task=task,
                    )
                self._sleep(min(interval, left))
            else:
                self._sleep(interval)

    def cancel(self, task_id: str | Task, *, idempotency_key: str | None = None) -> Task:
        """``POST /api/cancel/{task_id}``; a finished job raises ``Conflict``."""
        key = idempotency_key or new_idempotency_key()
        data = self._json("POST", f"/api/cancel/{_core.path_id(task_id)}", idempotency_key=key)
        return Task.from_json(data)

    def tasks(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        created_after: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> TaskPage:
        """One page of the caller's jobs, newest first (``GET /api/tasks``)."""
        params = _core.tasks_params(status, limit, cursor, created_after, metadata)
        return TaskPage.from_json(self._json("GET", "/api/tasks", params=params))

    def iter_tasks(self, **filters: Any) -> Iterator[Task]:
        """Every matching job, following the cursor page by page."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.tasks(cursor=cursor, **filters)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    # -- files -------------------------------------------------------------
    def download(
        self,
        video_id: str | Task,
        path: str | os.PathLike[str],
        *,
        variant: str | None = None,
        on_progress: DownloadProgress | None = None,
        resume: bool = True,
    ) -> Path:
        """Stream the MP4 (``variant="thumbnail"``: the JPEG poster) to ``path``.

        Bytes go to ``<path>.part`` first and are renamed when complete.  A
        dropped connection resumes from where it stopped with an HTTP Range
        request, and so does a later call after an interrupted one
        (``resume=False`` starts over).  ``path`` may be a directory.
        """
        vid = _core.path_id(video_id, "video_id")
        dest = _destination(Path(path), vid, variant)
        part = dest.with_name(dest.name + ".part")
        if not resume and part.exists():
            part.unlink()
        url = f"{self.base_url}/api/download/{vid}"
        params = {"variant": variant} if variant else None
        policy = self.retry
        attempt = 0
        while True:
            have = part.stat().st_size if part.exists() else 0
            headers = dict(self._headers, Accept="*/*")
            headers["Accept-Encoding"] = "identity"  # byte offsets must mean file offsets
            if have:
                headers["Range"] = f"bytes={have}-"
            try:
                with self._http.stream("GET", url, params=params, headers=headers) as response:
                    plan = _plan_download(response, have)
                    if plan == "done":
                        break
                    if plan == "restart":
                        part.unlink()
                        continue
                    if plan == "error":
                        response.read()
                        error = _core.error_from_response(response)
                        if not _core.should_retry(error, attempt, policy):
                            raise error
                        delay = policy.delay(attempt, error.retry_after)
                        _core.log_retry("GET", url, attempt, delay, f"HTTP {response.status_code}")
                    else:
                        mode, written, total = plan
                        with open(part, mode) as fh:
                            # No chunk_size: httpx would hold bytes back to fill it, and
                            # those would be lost, not resumed, if the connection drops.
                            for chunk in response.iter_raw():
                                fh.write(chunk)
                                written += len(chunk)
                                if on_progress is not None:
                                    on_progress(written, total)
                        if total is None or written >= total:
                            break
                        raise _core.IncompleteDownload(f"got {written} of {total} bytes")
            except _core.RETRYABLE_EXCEPTIONS as exc:
                if attempt >= policy.max_retries:
                    raise _core.transport_error(exc, "GET", url, attempt + 1) from exc
                delay = policy.delay(attempt)
                _core.log_retry("GET", url, attempt, delay, exc.__class__.__name__)
            self._sleep(delay)
            attempt += 1
        os.replace(part, dest)
        return dest

    # -- service -----------------------------------------------------------
    def system_status(self) -> SystemStatus:
        """``GET /api/system/status``."""
        return SystemStatus.from_json(self._json("GET", "/api/system/status"))

    def templates(self) -> list[dict[str, Any]]:
        """``GET /api/templates``: the prompt templates this token may use."""
        data = self._json("GET", "/api/templates")
        return list(data.get("results", data.get("templates", [])) if isinstance(data, dict) else data)

    def health(self) -> dict[str, Any]:
        """``GET /api/health`` (no token needed)."""
        return self._json("GET", "/api/health")

    # -- the article's call shapes ----------------------------------------
    def generate_video(self, prompt: str, **kwargs: Any) -> str:
        """Queue a job and return its task id (the article's ``api_client.generate_video``)."""
        return self.generate(prompt, **kwargs).task_id

    def wait_for_completion(self, task_id: str, max_wait_time: float | None = 300) -> str:
        """Wait and return the video id; raises ``JobFailed`` / ``Timeout``."""
        return self.wait(task_id, timeout=max_wait_time).video_id or ""


def _raise_if_unsuccessful(task: Task) -> None:
    if task.status == FAILED:
        raise JobFailed(task.error or f"task {task.task_id} failed", task=task)
    if task.status == CANCELED:
        raise JobCanceled(task.error or f"task {task.task_id} was canceled", task=task)


def _destination(path: Path, video_id: str, variant: str | None) -> Path:
    if path.is_dir():
        suffix = ".jpg" if variant == "thumbnail" else ".mp4"
        return path / f"{video_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _plan_download(response: httpx.Response, have: int) -> Any:
    """Decide what to do with a download answer, given ``have`` bytes on disk.

    Returns ``"done"``, ``"restart"`` (drop the partial file), ``"error"`` or
    ``(file mode, bytes already written, total size or None)``.
    """
    status = response.status_code
    if status == 416 and have:
        # Our partial file may already be whole (a crash between the last
        # write and the rename), or the file changed: the total tells which.
        rng = _core.parse_content_range(response.headers.get("Content-Range"))
        return "done" if rng and rng.total == have else "restart"
    if status >= 400:
        return "error"
    if status == 206:
        rng = _core.parse_content_range(response.headers.get("Content-Range"))
        if rng is None or rng.start != have:
            return "restart"
        return ("ab", have, rng.total)
    # 200: the whole file (the server ignored or had no use for our Range).
    return ("wb", 0, _core.content_length(response))
