"""The asyncio client: the same methods as ``CogVideoClient``, awaitable; it runs the same
flows (_flows.py) with httpx.AsyncClient."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import _core, _flows
from ._base import ClientBase
from .models import ModelInfo, SystemStatus, Task, TaskPage

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

T = TypeVar("T")
ProgressCallback = Callable[[Task], "Any | Awaitable[Any]"]


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


class AsyncCogVideoClient(ClientBase[httpx.AsyncClient]):
    """``async with AsyncCogVideoClient(url, token) as client: ...``

    Same behaviour as :class:`CogVideoClient` (retries, idempotency keys,
    typed errors, ``with_options``); ``on_progress`` callbacks may be plain
    functions or coroutine functions.
    """

    _http_class = httpx.AsyncClient
    _default_sleep = staticmethod(asyncio.sleep)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the I/O the flows ask for -------------------------------------------
    async def _run(self, flow: _flows.Flow[T]) -> T:
        outcome: Any = None
        try:
            while True:
                outcome = await self._do(flow.send(outcome))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    async def _do(self, action: _flows.Action) -> Any:
        if isinstance(action, _flows.Send):
            request = self._http.build_request(
                action.method, action.url, params=action.params, json=action.json, headers=action.headers,
                timeout=action.timeout,
            )  # fmt: skip
            try:
                return await self._http.send(request, stream=action.stream)
            except httpx.HTTPError as exc:
                return exc
        if isinstance(action, _flows.Sleep):
            await self._sleep(action.seconds)
        elif isinstance(action, _flows.Notify):
            await _maybe_await(action.callback(*action.args))
        elif isinstance(action, _flows.Copy):
            return await _copy(action)
        elif isinstance(action, _flows.Read):
            try:
                await action.response.aread()
            except httpx.HTTPError:
                pass  # an error answer cut short: what arrived is enough to describe it
            finally:
                await action.response.aclose()
        elif isinstance(action, _flows.Close):
            await action.response.aclose()
        return None

    # -- the API -----------------------------------------------------------------
    async def generate(
        self,
        prompt: str | None = None,
        *,
        idempotency_key: str | None = None,
        **options: Unpack[_core.GenerateOptions],
    ) -> Task:
        """Queue a job; see ``CogVideoClient.generate``."""
        return await self._run(_flows.generate(self._settings, prompt, options, idempotency_key))

    async def status(self, task_id: str | Task) -> Task:
        return await self._run(_flows.status(self._settings, task_id))

    async def wait(
        self,
        task_id: str | Task,
        timeout: float | None = _core.DEFAULT_WAIT_TIMEOUT,
        *,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Task:
        """Poll until the job finishes; see ``CogVideoClient.wait``."""
        return await self._run(_flows.wait(self._settings, task_id, timeout, on_progress, poll_interval))

    async def cancel(self, task_id: str | Task, *, idempotency_key: str | None = None) -> Task:
        return await self._run(_flows.cancel(self._settings, task_id, idempotency_key))

    async def tasks(self, **filters: Any) -> TaskPage:
        """``GET /api/tasks``; the filters of ``CogVideoClient.tasks``."""
        return await self._run(_flows.tasks(self._settings, filters))

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
        return await self._run(_flows.download(self._settings, video_id, path, variant, on_progress, resume))

    async def system_status(self) -> SystemStatus:
        return await self._run(_flows.system_status(self._settings))

    async def models(self) -> list[ModelInfo]:
        return await self._run(_flows.models(self._settings))

    async def templates(self) -> list[dict[str, Any]]:
        return await self._run(_flows.templates(self._settings))

    async def health(self) -> dict[str, Any]:
        return await self._run(_flows.health(self._settings))

    # -- the article's call shapes (section 5.1's ``api_client``) ---------
    async def generate_video(self, prompt: str, **options: Unpack[_core.GenerateOptions]) -> str:
        """Queue a job and return its task id."""
        return (await self.generate(prompt, **options)).task_id

    async def wait_for_completion(self, task_id: str, max_wait_time: float | None = 300) -> str:
        """Wait and return the video id; raises ``JobFailed`` / ``Timeout``."""
        return (await self.wait(task_id, timeout=max_wait_time)).video_id or ""


async def _copy(action: _flows.Copy) -> int | httpx.HTTPError:
    written = action.written
    try:
        # 64 KiB local writes; not worth an aiofiles dependency
        with open(action.path, action.mode) as fh:  # noqa: ASYNC230
            # No chunk_size: httpx would hold bytes back to fill it, and
            # those would be lost, not resumed, if the connection drops.
            async for chunk in action.response.aiter_raw():
                fh.write(chunk)
                written += len(chunk)
                if action.on_progress is not None:
                    await _maybe_await(action.on_progress(written, action.total))
    except httpx.HTTPError as exc:
        return exc
    finally:
        await action.response.aclose()
    return written
