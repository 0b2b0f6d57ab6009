"""Backoff policy, Retry-After parsing and the article's ``robust_api_call`` helper."""

from __future__ import annotations

import calendar
import inspect
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from .errors import RateLimited, ServiceUnavailable

T = TypeVar("T")

#: HTTP statuses that mean "try again later" rather than "you asked wrongly".
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter.

    Attempt ``n`` (0-based) waits a random time in ``[d/2, d]`` where
    ``d = min(max_delay, base_delay * 2**n)`` ("equal jitter": never zero, so a
    crowd of clients that failed together spreads out instead of retrying in
    lockstep).  A server ``Retry-After`` is a floor: we never come back sooner
    than asked, and add up to 10 % on top so that crowd still spreads out.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    #: Longest Retry-After we are willing to sleep; longer ones raise at once.
    max_retry_after: float = 300.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        d = min(self.max_delay, self.base_delay * 2.0**attempt)
        return d / 2 + rng() * d / 2

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> float:
        if retry_after is not None and retry_after >= 0:
            return retry_after + rng() * min(1.0, 0.1 * retry_after)
        return self.backoff(attempt, rng)


NO_RETRY = RetryPolicy(max_retries=0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    # HTTP dates are GMT; a naive result ("-0000") means UTC as well.
    epoch = when.timestamp() if when.tzinfo else calendar.timegm(when.timetuple())
    return max(0.0, epoch - (time.time() if now is None else now))


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _transient_exception_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        import httpx

        types.append(httpx.TransportError)
    except ImportError:  # pragma: no cover - httpx is a dependency
        pass
    try:  # the article's own functions use requests; keep retrying its errors too
        import requests

        types += [requests.exceptions.ConnectionError, requests.exceptions.Timeout]
    except ImportError:
        pass
    return tuple(types)


def robust_api_call(
    api_func: Callable[..., T],
    *args: Any,
    max_retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T | None:
    """Call ``api_func(*args, **kwargs)``, retrying connection errors and timeouts.

    The article's helper (same call shape), made safe for POSTs: if ``api_func``
    takes an ``idempotency_key`` argument and none was given, one key is made
    here and reused by every attempt, so a retried ``client.generate`` whose
    first attempt did reach the server returns that job instead of a second
    one.  429/503 answers are retried too, after the server's Retry-After.
    """
    if "idempotency_key" not in kwargs and _accepts(api_func, "idempotency_key"):
        kwargs["idempotency_key"] = new_idempotency_key()
    transient = _transient_exception_types()
    policy = RetryPolicy(base_delay=1.0)
    for attempt in range(max_retries):
        try:
            return api_func(*args, **kwargs)
        except (RateLimited, ServiceUnavailable) as exc:
            if attempt == max_retries - 1:
                raise
            sleep(policy.delay(attempt, exc.retry_after))
        except transient:
            if attempt == max_retries - 1:
                raise
            sleep(2**attempt)
    return None


def _accepts(func: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params
