"""Pure helpers of the flows (_flows.py): request bodies, error mapping, retry rules,
download plans.  Nothing here does I/O."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote

import httpx

from ._version import __version__
from .errors import (
    APIError,
    Conflict,
    ConnectionFailed,
    Timeout,
    UnexpectedResponse,
    error_class_for,
)
from .models import Task
from .retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger("cogvideo_client")

USER_AGENT = f"cogvideo-client/{__version__} (python-httpx/{httpx.__version__})"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_WAIT_TIMEOUT = 1800.0

#: Transport failures worth another attempt: the request may not have reached
#: the server, or its answer was lost.  (Not e.g. UnsupportedProtocol: a bad
#: URL stays bad.)
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)

#: 409 codes that mean "the first request with this Idempotency-Key is still
#: being answered": wait and replay, it will then answer like the first one.
IN_PROGRESS_CODES = frozenset({"idempotency_in_progress", "request_in_progress", "in_progress"})


class GenerateOptions(TypedDict, total=False):
    """The keyword arguments of ``generate()`` besides the prompt (the API's request fields)."""

    duration: int
    resolution: str
    negative_prompt: str
    enhance_quality: bool
    seed: int
    num_inference_steps: int
    guidance_scale: float
    template: str
    variables: Mapping[str, Any]
    callback_url: str
    metadata: Mapping[str, Any]
    model: str
    image: str | bytes | os.PathLike[str]
    image_url: str
    #: how the rendered frames become ``resolution``: "crop" (default), "pad" or "stretch"
    fit: str
    #: "#rrggbb", "black" or "white" (used by fit="pad")
    pad_color: str
    #: the delivered frame rate: one of the model's ``fps`` (``models()``)
    fps: int
    #: ["mp4"] or ["mp4", "webm"]
    formats: Sequence[str]


IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def image_field(image: str | bytes | os.PathLike[str]) -> tuple[str, str]:
    """``generate(image=...)`` as a request field: an http(s) URL is sent as ``image_url``
    (the service fetches it), a data URL as it is, bytes or a file path as a data URL. The
    type named in the data URL is a hint only: the service judges the bytes."""
    if isinstance(image, str) and image.startswith(("http://", "https://")):
        return "image_url", image
    if isinstance(image, str) and image.startswith("data:"):
        return "image", image
    content = bytes(image) if isinstance(image, bytes | bytearray | memoryview) else Path(image).read_bytes()
    mime = next((kind for magic, kind in IMAGE_MAGIC if content.startswith(magic)), None)
    if mime is None:
        mime = "image/webp" if content[:4] == b"RIFF" and content[8:12] == b"WEBP" else "application/octet-stream"
    import base64

    return "image", f"data:{mime};base64," + base64.b64encode(content).decode("ascii")


def resolve_base_url(base_url: str | None) -> str:
    url = base_url or os.environ.get("COGVIDEO_URL") or ""
    if not url:
        raise ValueError("base_url is required (or set COGVIDEO_URL)")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(f"the service URL must start with http:// or https:// and name a host, not {url!r}")
    return url.rstrip("/")


def as_timeout(value: float | httpx.Timeout) -> httpx.Timeout:
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


def resolve_token(token: str | None) -> str | None:
    return token if token is not None else os.environ.get("COGVIDEO_TOKEN")


def default_headers(token: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    headers.update(extra or {})
    return headers


def path_id(value: Any, attr: str = "task_id") -> str:
    """An id for a URL path; accepts a Task (or anything with ``attr``) too."""
    if not isinstance(value, (str, int)) and hasattr(value, attr):
        value = getattr(value, attr)
    if value is None or value == "":
        raise ValueError(f"no {attr} given")
    return quote(str(value), safe="")


def generate_body(prompt: str | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if prompt is not None:
        body["prompt"] = prompt
    for key, value in fields.items():
        if key == "image" and value is not None:
            name, value = image_field(value)
            body[name] = value
        elif value is not None:
            if isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, (list, tuple)):
                value = list(value)
            body[key] = value
    if "prompt" not in body and "template" not in body:
        raise ValueError("generate() needs a prompt or a template")
    return body


def tasks_params(
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    created_after: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if status:
        params["status"] = status
    if limit is not None:
        params["limit"] = int(limit)
    if cursor:
        params["cursor"] = cursor
    if created_after is not None:
        params["created_after"] = (
            created_after.isoformat() if hasattr(created_after, "isoformat") else str(created_after)
        )
    for key, value in (metadata or {}).items():
        params[f"metadata.{key}"] = value
    return params


def parse_json(response: httpx.Response) -> Any:
    """The answer's JSON; an answer that is not JSON raises ``UnexpectedResponse``."""
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponse.of(
            response, f"{response.request.method} {response.request.url.path} answered something that is not JSON"
        ) from None


def error_from_response(response: httpx.Response) -> APIError:
    """Build the typed exception for an error answer (the body must be read)."""
    status = response.status_code
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text[: UnexpectedResponse.EXCERPT]
    code = message = None
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("code")
            message = err.get("message")
            fields = dict(err.get("fields") or {})
        elif isinstance(err, str):
            message = err
        elif "detail" in body:  # a plain DRF answer, should one slip through
            message = str(body["detail"])
        elif status == 400:
            fields = dict(body)
    if not message:
        message = response.reason_phrase or f"HTTP {status}"
    cls = error_class_for(status)
    return cls(
        str(message),
        status_code=status,
        code=code,
        fields=fields,
        body=body,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def should_retry(error: APIError, attempt: int, policy: RetryPolicy) -> bool:
    if attempt >= policy.max_retries:
        return False
    if error.retry_after is not None and error.retry_after > policy.max_retry_after:
        return False
    if error.status_code in RETRYABLE_STATUSES:
        return True
    return isinstance(error, Conflict) and (error.code or "") in IN_PROGRESS_CODES


def transport_error(exc: Exception, method: str, url: str, attempts: int) -> ConnectionFailed | Timeout:
    what = f"{method} {url} failed after {attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(f"{what}: timed out ({exc.__class__.__name__})")
    return ConnectionFailed(f"{what}: {exc.__class__.__name__}: {exc}")


def log_retry(method: str, url: str, attempt: int, delay: float, why: str) -> None:
    log.warning("%s %s: %s; retry %d in %.1fs", method, url, why, attempt + 1, delay)


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


@dataclass(frozen=True)
class ContentRange:
    start: int | None
    end: int | None
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    if not value:
        return None
    m = _CONTENT_RANGE.match(value.strip())
    if not m:
        return None
    start, end, total = m.groups()
    return ContentRange(
        int(start) if start is not None else None,
        int(end) if end is not None else None,
        int(total) if total and total != "*" else None,
    )


def content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


#: The file name ending of each ``?variant=`` of ``GET /api/download/{video_id}``.
VARIANT_SUFFIXES = {"thumbnail": ".jpg", "preview": ".webp", "webm": ".webm"}


def download_destination(path: Path, video_id: str, variant: str | None) -> Path:
    if path.is_dir():
        suffix = VARIANT_SUFFIXES.get(variant or "", ".mp4")
        return path / f"{video_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def plan_download(response: httpx.Response, have: int) -> Any:
    """Decide what to do with a download answer, given ``have`` bytes on disk.

    Returns ``"done"``, ``"restart"`` (drop the partial file), ``"error"`` or
    ``(file mode, bytes already written, total size or None)``.
    """
    status = response.status_code
    if status == 416 and have:
        # Our partial file may already be whole (a crash between the last
        # write and the rename), or the file changed: the total tells which.
        rng = parse_content_range(response.headers.get("Content-Range"))
        return "done" if rng and rng.total == have else "restart"
    if status >= 400:
        return "error"
    if status == 206:
        rng = parse_content_range(response.headers.get("Content-Range"))
        if rng is None or rng.start != have:
            return "restart"
        return ("ab", have, rng.total)
    # 200: the whole file (the server ignored or had no use for our Range).
    return ("wb", 0, content_length(response))


def progress_signature(task: Task) -> tuple[Any, ...]:
    """What has to change for ``wait()`` to report progress again."""
    return (task.status, task.progress, task.step, task.stage, task.queue_position)


class IncompleteDownload(httpx.NetworkError):
    """The body ended before the announced length: resume it like a dropped connection."""
