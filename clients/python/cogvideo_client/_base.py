"""What both clients are besides their I/O: settings, accessors, ``with_options``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import httpx

from . import _core, _flows
from .retry import RetryPolicy

if TYPE_CHECKING:
    from typing_extensions import Self

H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class ClientBase(Generic[H]):
    """``timeout`` bounds each HTTP attempt, ``max_retries`` (or a whole ``retry`` policy)
    the retries, ``total_timeout`` (seconds) a whole call with its retries and pauses."""

    _http_class: ClassVar[type[Any]]

    @staticmethod
    def _default_sleep(seconds: float, /) -> Any:  # time.sleep / asyncio.sleep in the subclasses
        raise NotImplementedError

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = _core.DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        total_timeout: float | None = None,
        poll_interval: float = _core.DEFAULT_POLL_INTERVAL,
        headers: Mapping[str, str] | None = None,
        http_client: H | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self.token = _core.resolve_token(token)
        self._settings = _flows.Settings(
            base_url=_core.resolve_base_url(base_url),
            headers=_core.default_headers(self.token, headers),
            timeout=_core.as_timeout(timeout),
            retry=retry or RetryPolicy(),
            poll_interval=poll_interval,
        ).with_options(max_retries=max_retries, total_timeout=total_timeout)
        self._sleep = sleep if sleep is not None else type(self)._default_sleep
        self._owns_http = http_client is None
        self._http: H = http_client if http_client is not None else self._http_class()

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def retry(self) -> RetryPolicy:
        return self._settings.retry

    @property
    def poll_interval(self) -> float:
        return self._settings.poll_interval

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        total_timeout: float | None = None,
    ) -> Self:
        """A copy for some calls, e.g. ``client.with_options(timeout=5, max_retries=0).status(id)``.

        It shares this client's connections (closing it closes nothing)."""
        clone = copy.copy(self)
        clone._settings = self._settings.with_options(timeout, max_retries, total_timeout)
        clone._owns_http = False
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"
