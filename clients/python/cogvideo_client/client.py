"""The synchronous client: runs the flows of _flows.py with httpx.Client."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import _core, _flows
from ._base import ClientBase
from .models import ModelInfo, SystemStatus, Task, TaskPage

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

T = TypeVar("T")
ProgressCallback = Callable[[Task], Any]
DownloadProgress = Callable[[int, "int | None"], Any]  # (bytes so far, total or None)


class CogVideoClient(ClientBase[httpx.Client]):
    """Talks to a CogVideoX Studio server.

    >>> client = CogVideoClient("http://localhost:7860", token="...")
    >>> task = client.generate("A red fox running through fresh snow", duration=2)
    >>> done = client.wait(task, on_progress=lambda t: print(t.progress, "%"))
    >>> client.download(done.video_id, "fox.mp4")

    Every call retries connection errors, timeouts, 429 and 503 with
    exponential backoff and jitter (honouring ``Retry-After``).  ``generate``
    and ``cancel`` send one ``Idempotency-Key`` for all their attempts, so a
    retry never creates a second job.  ``timeout`` bounds each attempt,
    ``total_timeout`` (seconds) a whole call with its retries;
    ``client.with_options(...)`` changes them for some calls.
    """

    _http_class = httpx.Client
    _default_sleep = staticmethod(time.sleep)

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the I/O the flows ask for -------------------------------------------
    def _run(self, flow: _flows.Flow[T]) -> T:
        outcome: Any = None
        try:
            while True:
                outcome = self._do(flow.send(outcome))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    def _do(self, action: _flows.Action) -> Any:
        if isinstance(action, _flows.Send):
            request = self._http.build_request(
                action.method, action.url, params=action.params, json=action.json, headers=action.headers,
                timeout=action.timeout,
            )  # fmt: skip
            try:
                return self._http.send(request, stream=action.stream)
            except httpx.HTTPError as exc:
                return exc
        if isinstance(action, _flows.Sleep):
            self._sleep(action.seconds)
        elif isinstance(action, _flows.Notify):
            action.callback(*action.args)
        elif isinstance(action, _flows.Copy):
            return _copy(action)
        elif isinstance(action, _flows.Read):
            try:
                action.response.read()
            except httpx.HTTPError:
                pass  # an error answer cut short: what arrived is enough to describe it
            finally:
                action.response.close()
        elif isinstance(action, _flows.Close):
            action.response.close()
        return None

    # -- jobs --------------------------------------------------------------
    def generate(
        self,
        prompt: str | None = None,
        *,
        idempotency_key: str | None = None,
        **options: Unpack[_core.GenerateOptions],
    ) -> Task:
        """Queue a job (``POST /api/generate``); returns it with ``status == "queued"``.

        Options are the API's fields: ``duration``, ``resolution``, ``negative_prompt``,
        ``enhance_quality``, ``seed``, ``num_inference_steps``, ``guidance_scale``,
        ``template`` + ``variables``, ``callback_url``, ``metadata``, ``model``, ``fit``
        (``crop``, ``pad``, ``stretch``), ``pad_color``, ``fps`` (one of the model's, see
        ``models()``) and ``formats`` (``["mp4", "webm"]`` for a WebM too); ``image`` for an
        image-to-video model: a file path, bytes, a data URL, or an http(s) URL the service
        fetches (sent as ``image_url``).
        ``idempotency_key``: pass your own (e.g. ``f"post-{post.id}-v{post.version}"``)
        to make the call idempotent across processes too; by default one key is
        made per call and reused by its retries.
        """
        return self._run(_flows.generate(self._settings, prompt, options, idempotency_key))

    def status(self, task_id: str | Task) -> Task:
        """``GET /api/status/{task_id}``."""
        return self._run(_flows.status(self._settings, task_id))

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
        return self._run(_flows.wait(self._settings, task_id, timeout, on_progress, poll_interval))

    def cancel(self, task_id: str | Task, *, idempotency_key: str | None = None) -> Task:
        """``POST /api/cancel/{task_id}``; a finished job raises ``Conflict``."""
        return self._run(_flows.cancel(self._settings, task_id, idempotency_key))

    def tasks(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        created_after: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> TaskPage:
        """``GET /api/tasks``: one page of your jobs, newest first."""
        filters = {"status": status, "limit": limit, "cursor": cursor, "created_after": created_after}
        return self._run(_flows.tasks(self._settings, {**filters, "metadata": metadata}))

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
        """Stream the MP4 (``variant=``: ``"thumbnail"`` the JPEG poster, ``"preview"`` the
        animated WebP, ``"webm"`` the WebM) to ``path``.

        Bytes go to ``<path>.part`` first and are renamed when complete.  A
        dropped connection resumes from where it stopped with an HTTP Range
        request, and so does a later call after an interrupted one
        (``resume=False`` starts over).  ``path`` may be a directory.
        """
        return self._run(_flows.download(self._settings, video_id, path, variant, on_progress, resume))

    # -- service -----------------------------------------------------------
    def system_status(self) -> SystemStatus:
        """``GET /api/system/status``."""
        return self._run(_flows.system_status(self._settings))

    def models(self) -> list[ModelInfo]:
        """``GET /api/models``: what each served model accepts (trained sizes, size limits,
        ``fps``, durations, ``fits``, ``formats``); offer choices from it."""
        return self._run(_flows.models(self._settings))

    def templates(self) -> list[dict[str, Any]]:
        """``GET /api/templates``: the prompt templates this token may use."""
        return self._run(_flows.templates(self._settings))

    def health(self) -> dict[str, Any]:
        """``GET /api/health`` (no token needed)."""
        return self._run(_flows.health(self._settings))

    # -- the article's call shapes ----------------------------------------
    def generate_video(self, prompt: str, **options: Unpack[_core.GenerateOptions]) -> str:
        """Queue a job and return its task id (the article's ``api_client.generate_video``)."""
        return self.generate(prompt, **options).task_id

    def wait_for_completion(self, task_id: str, max_wait_time: float | None = 300) -> str:
        """Wait and return the video id; raises ``JobFailed`` / ``Timeout``."""
        return self.wait(task_id, timeout=max_wait_time).video_id or ""


def _copy(action: _flows.Copy) -> int | httpx.HTTPError:
    written = action.written
    try:
        with open(action.path, action.mode) as fh:
            # No chunk_size: httpx would hold bytes back to fill it, and
            # those would be lost, not resumed, if the connection drops.
            for chunk in action.response.iter_raw():
                fh.write(chunk)
                written += len(chunk)
                if action.on_progress is not None:
                    action.on_progress(written, action.total)
    except httpx.HTTPError as exc:
        return exc
    finally:
        action.response.close()
    return written
