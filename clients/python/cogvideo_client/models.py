"""Typed results.

Each result keeps the full JSON it was built from in ``raw`` and answers
``result["key"]`` / ``result.get("key")`` from it, so code written against the
plain dicts of the article (``status_info.get("status")``) keeps working and
fields the server adds later are never lost.
"""

from __future__ import annotations

from collections.abc import Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

QUEUED = "queued"
PROCESSING = "processing"
COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"
FINISHED_STATUSES = frozenset({COMPLETED, FAILED, CANCELED})


def _dt(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        if value.endswith("Z"):  # Python 3.10's fromisoformat wants an offset
            value = value[:-1] + "+00:00"
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _error_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return _str(value.get("message") or value.get("code") or value)
    return str(value)


class _RawMapping:
    raw: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def keys(self) -> KeysView[str]:
        return self.raw.keys()


@dataclass(frozen=True)
class Task(_RawMapping):
    """A generation job as ``/api/generate`` and ``/api/status/{id}`` describe it."""

    task_id: str
    status: str
    progress: int = 0
    step: int | None = None
    total_steps: int | None = None
    stage: str | None = None
    eta_seconds: float | None = None
    queue_position: int | None = None
    video_id: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    #: the small animated WebP for hover previews (completed jobs)
    preview_url: str | None = None
    #: the VP9 WebM, when the job asked for ``formats=["mp4", "webm"]``
    webm_url: str | None = None
    error: str | None = None
    error_code: str | None = None
    warnings: list[Any] = field(default_factory=list)
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Task:
        data = dict(data)
        task_id = data.get("task_id", data.get("id"))
        return cls(
            task_id=str(task_id) if task_id is not None else "",
            status=str(data.get("status") or ""),
            progress=_int(data.get("progress")) or 0,
            step=_int(data.get("step")),
            total_steps=_int(data.get("total_steps")),
            stage=_str(data.get("stage")),
            eta_seconds=_float(data.get("eta_seconds")),
            queue_position=_int(data.get("queue_position")),
            video_id=_str(data.get("video_id")),
            video_url=_str(data.get("video_url")),
            thumbnail_url=_str(data.get("thumbnail_url")),
            preview_url=_str(data.get("preview_url")),
            webm_url=_str(data.get("webm_url")),
            error=_error_text(data.get("error")),
            error_code=_str(data.get("error_code")),
            warnings=list(data.get("warnings") or []),
            created_at=_dt(data.get("created_at")),
            started_at=_dt(data.get("started_at")),
            finished_at=_dt(data.get("finished_at") or data.get("completed_at")),
            metadata=dict(data.get("metadata") or {}),
            raw=data,
        )

    @property
    def id(self) -> str:
        return self.task_id

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == COMPLETED

    @property
    def parameters(self) -> dict[str, Any]:
        """The resolved generation parameters (seed included) the server reports."""
        resolved: dict[str, Any] = {}
        for key in ("params", "parameters"):
            if isinstance(self.raw.get(key), Mapping):
                resolved.update(self.raw[key])
        known = (
            "prompt",
            "negative_prompt",
            "duration",
            "resolution",
            "render_resolution",
            "fit",
            "pad_color",
            "formats",
            "width",
            "height",
            "num_frames",
            "fps",
            "seed",
            "num_inference_steps",
            "guidance_scale",
            "enhance_quality",
        )
        for key in known:
            if self.raw.get(key) is not None:
                resolved.setdefault(key, self.raw[key])
        return resolved

    @property
    def seed(self) -> int | None:
        return _int(self.parameters.get("seed"))


@dataclass(frozen=True)
class TaskPage:
    """One page of ``GET /api/tasks``; iterate it for the tasks."""

    items: list[Task]
    next_cursor: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> TaskPage:
        if isinstance(data, list):  # tolerate a bare list
            return cls(items=[Task.from_json(t) for t in data], raw={"results": data})
        items = data.get("results", data.get("items", data.get("tasks", [])))
        cursor = data.get("next_cursor")
        if cursor is None and data.get("next"):
            cursor = _cursor_from_url(data["next"])
        return cls(items=[Task.from_json(t) for t in items], next_cursor=cursor, raw=dict(data))

    def __iter__(self) -> Iterator[Task]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _cursor_from_url(url: str) -> str | None:
    from urllib.parse import parse_qs, urlsplit

    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


@dataclass(frozen=True)
class SystemStatus(_RawMapping):
    """``GET /api/system/status``: model, device, memory, queue, workers, disk."""

    model: str | None = None
    device: str | None = None
    queue_depth: int | None = None
    workers: Any = None
    memory: Any = None
    disk: Any = None
    success_rate: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def workers_alive(self) -> int | None:
        """How many workers sent a heartbeat recently."""
        if isinstance(self.workers, Mapping):
            return _int(self.workers.get("alive"))
        if isinstance(self.workers, list):
            return len(self.workers)
        return _int(self.workers)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SystemStatus:
        data = dict(data)
        queue = data.get("queue")
        depth = data.get("queue_depth")
        if depth is None and isinstance(queue, Mapping):
            depth = queue.get("depth", queue.get("queued"))
        model = data.get("model")
        if isinstance(model, Mapping):
            model = model.get("id") or model.get("name")
        rate = data.get("success_rate")
        if rate is None and isinstance(data.get("jobs_24h"), Mapping):
            rate = data["jobs_24h"].get("success_rate")
        return cls(
            model=_str(model),
            device=_str(data.get("device")),
            queue_depth=_int(depth),
            workers=data.get("workers"),
            memory=data.get("memory"),
            disk=data.get("disk"),
            success_rate=_float(rate),
            raw=data,
        )


def _ints(value: Any) -> list[int]:
    return [n for n in (_int(v) for v in (value or [])) if n is not None]


@dataclass(frozen=True)
class ModelInfo(_RawMapping):
    """One served model of ``GET /api/models``: what a client may offer for it.

    ``trained_sizes`` are the sizes it renders at (empty when ``trained_bounds`` gives a
    range instead); ``resolution_limits`` bound the delivered size (``min_side``,
    ``max_side``, ``multiple``, ``max_pixels``); ``fps`` the delivered frame rates,
    ``fits`` and ``formats`` the accepted values. ``default`` marks the model a request
    without ``model`` gets; an image-to-video model (``takes_image``) lists what input image
    it takes in ``image_limits`` (``types``, ``max_bytes``, ``max_pixels``, ``min_side``)."""

    id: str
    profile: str | None = None
    task: str | None = None
    default: bool | None = None
    takes_image: bool | None = None
    image_limits: dict[str, Any] | None = None
    trained_sizes: list[str] = field(default_factory=list)
    trained_bounds: dict[str, Any] | None = None
    default_resolution: str | None = None
    resolution_limits: dict[str, Any] = field(default_factory=dict)
    native_fps: int | None = None
    fps: list[int] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    default_duration: int | None = None
    max_duration: int | None = None
    fits: list[str] = field(default_factory=list)
    default_fit: str | None = None
    formats: list[str] = field(default_factory=list)
    loaded: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelInfo:
        data = dict(data)
        given = data.get("trained")
        trained: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        bounds = trained.get("bounds")
        limits = data.get("resolution_limits")
        loaded = data.get("loaded")
        default, takes_image, image_limits = data.get("default"), data.get("takes_image"), data.get("image_limits")
        return cls(
            id=str(data.get("id") or ""),
            profile=_str(data.get("profile")),
            task=_str(data.get("task")),
            default=default if isinstance(default, bool) else None,
            takes_image=takes_image if isinstance(takes_image, bool) else None,
            image_limits=dict(image_limits) if isinstance(image_limits, Mapping) else None,
            trained_sizes=[str(s) for s in trained.get("sizes") or []],
            trained_bounds=dict(bounds) if isinstance(bounds, Mapping) else None,
            default_resolution=_str(data.get("default_resolution")),
            resolution_limits=dict(limits) if isinstance(limits, Mapping) else {},
            native_fps=_int(data.get("native_fps")),
            fps=_ints(data.get("fps")),
            durations=_ints(data.get("durations")),
            default_duration=_int(data.get("default_duration")),
            max_duration=_int(data.get("max_duration")),
            fits=[str(f) for f in data.get("fits") or []],
            default_fit=_str(data.get("default_fit")),
            formats=[str(f) for f in data.get("formats") or []],
            loaded=loaded if isinstance(loaded, bool) else None,
            raw=data,
        )
