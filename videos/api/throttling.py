"""Per-token request rates (429 + Retry-After).

A fixed-window counter per user and scope: one small cache entry incremented per request.
DRF's own throttles keep a list of every request time in the window and rewrite it on each
request, which grows with the rate (a 50,000/day scope meant 50,000 timestamps rewritten per
request; see benchmarks/README.md). Rates come from settings at request time, so operators
(and tests) can change them without DRF's import-time caching.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


class _FixedWindowThrottle(BaseThrottle):
    scope = ""

    def allow_request(self, request, view) -> bool:
        rate = settings.COGVIDEO_THROTTLE_RATES.get(self.scope)
        user = getattr(request, "user", None)
        if not rate or user is None or not user.is_authenticated:
            return True  # anonymous requests are refused by authentication, not counted here
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        self.retry_after = period * (window + 1) - now
        key = f"throttle:{self.scope}:{user.pk}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
        return count <= limit

    def wait(self) -> float:
        return max(1.0, self.retry_after)


class BurstThrottle(_FixedWindowThrottle):
    scope = "burst"


class SustainedThrottle(_FixedWindowThrottle):
    scope = "sustained"


class GenerateThrottle(_FixedWindowThrottle):
    scope = "generate"
