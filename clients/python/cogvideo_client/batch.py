"""Many prompts, a bounded number of jobs in flight (the article's section 5.1)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import JobFailed, Timeout
from .models import COMPLETED, Task
from .retry import new_idempotency_key


@dataclass
class BatchProgress:
    """What ``on_progress`` receives each time any job in the batch moves."""

    total: int
    completed: int = 0
    failed: int = 0
    #: index in the input list -> last status seen, for jobs not finished yet
    active: dict[int, Task] = field(default_factory=dict)
    #: the job whose change caused this report, if any
    last: Task | None = None

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def fraction(self) -> float:
        """0..1, counting running jobs by their own progress."""
        if not self.total:
            return 1.0
        running = sum(t.progress for t in self.active.values()) / 100.0
        return min(1.0, (self.finished + running) / self.total)


class BatchVideoProcessor:
    """Generate a video for each prompt, at most ``max_concurrent`` at a time.

    ``api_client`` is a :class:`CogVideoClient` (its calls run in threads) or
    an :class:`AsyncCogVideoClient`.  As in the article::

        processor = BatchVideoProcessor(client, max_concurrent=2)
        result = await processor.process_batch(prompts)
        # {'completed': [{'prompt', 'video_id', ...}], 'failed': [{'prompt', 'error', ...}]}

    ``processor.run(prompts)`` does the same from synchronous code.  A prompt
    may be a string or a dict of ``generate()`` arguments (with ``prompt``).
    Every job gets one Idempotency-Key, so client retries never duplicate it.
    With ``download_dir`` each finished video is downloaded there too.
    """

    def __init__(
        self,
        api_client: Any,
        max_concurrent: int = 2,
        *,
        on_progress: Callable[[BatchProgress], Any] | None = None,
        poll_interval: float | None = None,
        timeout: float | None = 1800.0,
        download_dir: str | Path | None = None,
        **generate_defaults: Any,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.api_client = api_client
        self.max_concurrent = max_concurrent
        self.on_progress = on_progress
        self.poll_interval = poll_interval if poll_interval is not None else getattr(api_client, "poll_interval", 2.0)
        self.timeout = timeout
        self.download_dir = Path(download_dir) if download_dir is not None else None
        self.generate_defaults = generate_defaults
        self.pending_tasks: list[dict[str, Any]] = []
        self.completed_tasks: list[dict[str, Any]] = []
        self.failed_tasks: list[dict[str, Any]] = []
        self._progress: BatchProgress | None = None

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self.api_client, name)
        if inspect.iscoroutinefunction(method):
            return await method(*args, **kwargs)
        return await asyncio.to_thread(method, *args, **kwargs)

    async def _report(self, task: Task | None = None) -> None:
        if self.on_progress is None or self._progress is None:
            return
        self._progress.last = task
        result = self.on_progress(self._progress)
        if inspect.isawaitable(result):
            await result

    async def wait_for_completion(self, task_id: str, *, index: int | None = None) -> str:
        """Poll one job until it finishes; return its video id or raise ``JobFailed``."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        seen = None
        while True:
            task: Task = await self._call("status", task_id)
            signature = (task.status, task.progress, task.step, task.stage)
            if signature != seen and index is not None and self._progress is not None:
                self._progress.active[index] = task
                await self._report(task)
            seen = signature
            if task.status == COMPLETED:
                return task.video_id or ""
            if task.is_finished:
                raise JobFailed(task.error or f"task {task.task_id} {task.status}", task=task)
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout(
                    f"task {task_id} still {task.status} after {self.timeout:g}s",
                    task=task,
                )
            await asyncio.sleep(self.poll_interval)

    async def process_batch(self, prompts: Iterable[str | Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Run every prompt; return ``{'completed': [...], 'failed': [...]}``.

        Lists are in finishing order, each entry with the input ``index``.
        A failure of one prompt never stops the others.
        """
        items = list(prompts)
        self.pending_tasks, self.completed_tasks, self.failed_tasks = [], [], []
        progress = self._progress = BatchProgress(total=len(items))
        semaphore = asyncio.Semaphore(self.max_concurrent)

        async def process_single(index: int, item: str | Mapping[str, Any]) -> None:
            async with semaphore:
                entry: dict[str, Any] = {
                    "index": index,
                    "prompt": item,
                    "task_id": None,
                }
                try:
                    kwargs = dict(self.generate_defaults)
                    if isinstance(item, Mapping):
                        kwargs.update(item)
                    else:
                        kwargs["prompt"] = item
                    kwargs.setdefault("idempotency_key", new_idempotency_key())
                    task: Task = await self._call("generate", **kwargs)
                    entry["task_id"] = task.task_id
                    self.pending_tasks.append(entry)
                    progress.active[index] = task
                    await self._report(task)
                    video_id = await self.wait_for_completion(task.task_id, index=index)
                    entry["video_id"] = video_id
                    if self.download_dir is not None:
                        self.download_dir.mkdir(parents=True, exist_ok=True)
                        entry["path"] = str(await self._call("download", video_id, self.download_dir))
                except Exception as exc:  # noqa: BLE001 - one bad prompt must not sink the batch
                    entry["error"] = str(exc)
                    entry["error_type"] = type(exc).__name__
                    self.failed_tasks.append(entry)
                    progress.failed += 1
                else:
                    self.completed_tasks.append(entry)
                    progress.completed += 1
                finally:
                    if entry in self.pending_tasks:
                        self.pending_tasks.remove(entry)
                    last = progress.active.pop(index, None)
                await self._report(last)

        await asyncio.gather(*(process_single(i, item) for i, item in enumerate(items)))
        return {"completed": self.completed_tasks, "failed": self.failed_tasks}

    def run(self, prompts: Iterable[str | Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """``process_batch`` for synchronous callers."""
        return asyncio.run(self.process_batch(prompts))
