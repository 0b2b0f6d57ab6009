"""Typed exceptions raised by the client.

Every error the service can answer maps to one class, so integrators write
``except ValidationError as e: show(e.fields)`` instead of parsing bodies.
The API's error shape is ``{"error": {"code", "message", "fields"}}``.

Transport failures subclass Python's own ``ConnectionError`` / ``TimeoutError``
so generic ``except TimeoutError`` handlers keep working.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class CogVideoError(Exception):
    """Base class of everything this package raises.

    ``task`` is the job's last status where one is known (``JobFailed``, and ``Timeout``
    from ``wait()``), else ``None``.
    """

    def __init__(self, message: str = "", *, task: Any = None, **_: Any) -> None:
        super().__init__(message)
        self.message = message
        self.task = task


class APIError(CogVideoError):
    """The service answered with an error status."""

    #: HTTP status this class stands for; ``None`` for the generic class.
    status_code: int | None = None

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        self.code = code
        self.fields: dict[str, Any] = dict(fields or {})
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        prefix = f"HTTP {self.status_code}" if self.status_code else "API error"
        if self.code:
            prefix += f" {self.code}"
        text = f"{prefix}: {self.message}" if self.message else prefix
        if self.fields:
            details = "; ".join(f"{k}: {_join(v)}" for k, v in self.fields.items())
            text += f" ({details})"
        return text


def _join(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


class ValidationError(APIError):
    """400: the request was rejected; ``fields`` maps field name -> messages."""

    status_code = 400


class AuthError(APIError):
    """401: the token is missing, wrong or revoked."""

    status_code = 401


class PermissionDenied(APIError):
    """403: the token is valid but may not do this."""

    status_code = 403


class NotFound(APIError):
    """404: no such task or video for this token (others' ids answer 404 too)."""

    status_code = 404


class Conflict(APIError):
    """409: e.g. cancelling a finished job, or an Idempotency-Key reused with another body."""

    status_code = 409


class PayloadTooLarge(ValidationError):
    """413: the request body is too large."""

    status_code = 413


class RateLimited(APIError):
    """429: too many requests; ``retry_after`` is the server's Retry-After in seconds."""

    status_code = 429


class ServiceUnavailable(APIError):
    """503: the queue is full or the service is starting; honour ``retry_after``."""

    status_code = 503


class ServerError(APIError):
    """5xx other than 503."""

    status_code = 500


class UnexpectedResponse(APIError):
    """An answer this client cannot read: a body that is not JSON, or JSON without what the
    API promises (e.g. a 200 to ``generate`` with no ``task_id``); often a proxy or another
    server on that URL.  ``status_code`` is the answer's status, ``body`` an excerpt."""

    #: how much of the body the error keeps
    EXCERPT = 500

    @classmethod
    def of(cls, response: httpx.Response, what: str) -> UnexpectedResponse:
        excerpt = response.text[: cls.EXCERPT]
        content_type = response.headers.get("Content-Type", "no Content-Type")
        return cls(
            f"{what} ({content_type}): {excerpt!r}",
            status_code=response.status_code,
            code="unexpected_response",
            body=excerpt,
        )


class ConnectionFailed(CogVideoError, builtins.ConnectionError):
    """The service could not be reached, or dropped the connection, on every attempt."""


class Timeout(CogVideoError, builtins.TimeoutError):
    """A request timed out on every attempt, a call ran past its ``total_timeout``, or
    ``wait()`` ran past its deadline (then ``task`` is the last status seen)."""


class JobFailed(CogVideoError):
    """The job finished with status ``failed``; ``task`` holds its last status."""

    @property
    def error(self) -> str:
        return self.message


class JobCanceled(JobFailed):
    """The job was canceled before it produced a video."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationError,
    429: RateLimited,
    503: ServiceUnavailable,
}


def error_class_for(status_code: int) -> type[APIError]:
    """The exception class for an HTTP error status."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return ServerError
    return APIError
