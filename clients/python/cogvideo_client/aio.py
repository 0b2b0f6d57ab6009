"""The asyncio client: the same methods as ``CogVideoClient``, awaitable."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import _core
from .client import _destination, _plan_download, _raise_if_unsuccessful
from .errors import Timeout
from .models import COMPLETED, SystemStatus, Task, TaskPage
from .retry import RetryPolicy, new_idempotency_key

if TYPE_CHECKING:
    from typing import Self

ProgressCallback = Callable[[Task], "Any | Awaitable[Any]"]


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


class AsyncCogVideoClient:
    """``async with AsyncCogVideoClient(url, token) as client: ...``

    Same behaviour as :class:`CogVideoClient` (retries, idempotency keys,
    typed errors); ``on_progress`` callbacks may be plain functions or
    coroutine functions.
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
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = _core.resolve_base_url(base_url)
        self.token = _core.resolve_token(token)
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._headers = _core.default_headers(self.token, headers)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncCogVideoClient({self.base_url!r})"

    async def _request(
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
                response = await self._http.request(method, url, json=json, params=params, headers=headers)
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
            await self._sleep(delay)
            attempt += 1

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self._request(method, path, **kwargs)).json()

    async def generate(
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
        """Queue a job; see ``CogVideoClient.generate``."""
        body = _core.generate_body(
            prompt,
            {
                "duration": duration,
                "resolution": resolution,
                "negative_prompt": negative_prompt,
                "enhance_quality": enhance_quality,
                "seed": seed,
                "num_inference_steps": num_inference_steps,
                "guidance_scale": guidance_scale,
                "template": template,
                "variables": dict(variables) if variables is not None else None,
                "callback_url": callback_url,
                "metadata": dict(metadata) if metadata is not None else None,
                **extra,
            },
        )
        key = idempotency_key or new_idempotency_key()
        data = await self._json("POST", "/api/generate", json=body, idempotency_key=key)
        return Task.from_json(data)

    async def status(self, task_id: str | Task) -> Task:
        return Task.from_json(await self._json("GET", f"/api/status/{_core.path_id(task_id)}"))

    async def wait(
        self,
        task_id: str | Task,
        timeout: float | None = _core.DEFAULT_WAIT_TIMEOUT,
        *,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Task:
        interval = self.poll_interval if poll_interval is None else poll_interval
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[Any, ...] | None = None
        while True:
            task = await self.status(task_id)
            signature = _core.progress_signature(task)
            if on_progress is not None and signature != seen:
                await _maybe_await(on_progress(task))
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
                await self._sleep(min(interval, left))
            else:
                await self._sleep(interval)

    async def cancel(self, task_id: str | Task, *, idempotency_key: str | None = None) -> Task:
        key = idempotency_key or new_idempotency_key()
        path = f"/api/cancel/{_core.path_id(task_id)}"
        return Task.from_json(await self._json("POST", path, idempotency_key=key))

    async def tasks(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        created_after: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> TaskPage:
        params = _core.tasks_params(status, limit, cursor, created_after, metadata)
        return TaskPage.from_json(await self._json("GET", "/api/tasks", params=params))

    async def iter_tasks(self, **filters: Any) -> AsyncIterator[Task]:
        cursor = filters.pop("cursor", None)
        while True:
            page = await self.tasks(cursor=cursor, **filters)
            for task in page.items:
                yield task
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def download(
        self,
        video_id: str | Task,
        path: str | os.PathLike[str],
        *,
        variant: str | None = None,
        on_progress: Callable[[int, int | None], Any] | None = None,
        resume: bool = True,
    ) -> Path:
        """Stream to ``path`` with the same resume rules as ``CogVideoClient.download``."""
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
            headers["Accept-Encoding"] = "identity"
            if have:
                headers["Range"] = f"bytes={have}-"
            try:
                async with self._http.stream("GET", url, params=params, headers=headers) as response:
                    plan = _plan_download(response, have)
                    if plan == "done":
                        break
                    if plan == "restart":
                        part.unlink()
                        continue
                    if plan == "error":
                        await response.aread()
                        error = _core.error_from_response(response)
                        if not _core.should_retry(error, attempt, policy):
                            raise error
                        delay = policy.delay(attempt, error.retry_after)
                        _core.log_retry("GET", url, attempt, delay, f"HTTP {response.status_code}")
                    else:
                        mode, written, total = plan
                        # 64 KiB local writes; not worth an aiofiles dependency
                        with open(part, mode) as fh:  # noqa: ASYNC230
                            # No chunk_size: httpx would hold bytes back to fill it, and
                            # those would be lost, not resumed, if the connection drops.
                            async for chunk in response.aiter_raw():
                                fh.write(chunk)
                                written += len(chunk)
                                if on_progress is not None:
                                    await _maybe_await(on_progress(written, total))
                        if total is None or written >= total:
                            break
                        raise _core.IncompleteDownload(f"got {written} of {total} bytes")
            except _core.RETRYABLE_EXCEPTIONS as exc:
                if attempt >= policy.max_retries:
                    raise _core.transport_error(exc, "GET", url, attempt + 1) from exc
                delay = policy.delay(attempt)
                _core.log_retry("GET", url, attempt, delay, exc.__class__.__name__)
            await self._sleep(delay)
            attempt += 1
        os.replace(part, dest)
        return dest

    async def system_status(self) -> SystemStatus:
        return SystemStatus.from_json(await self._json("GET", "/api/system/status"))

    async def templates(self) -> list[dict[str, Any]]:
        data = await self._json("GET", "/api/templates")
        return list(data.get("results", data.get("templates", [])) if isinstance(data, dict) else data)

    async def health(self) -> dict[str, Any]:
        return await self._json("GET", "/api/health")

    # -- the article's call shapes (section 5.1's ``api_client``) ---------
    async def generate_video(self, prompt: str, **kwargs: Any) -> str:
        """Queue a job and return its task id."""
        return (await self.generate(prompt, **kwargs)).task_id

    async def wait_for_completion(self, task_id: str, max_wait_time: float | None = 300) -> str:
        """Wait and return the video id; raises ``JobFailed`` / ``Timeout``."""
        return (await self.wait(task_id, timeout=max_wait_time)).video_id or ""
