"""Fixed-window request counters in the shared cache: one small entry per subject, scope and
window, incremented per request. The one counter behind the API's per-token rates
(videos/api/throttling.py) and the rate of new jobs from every door
(services.create.check_generate_rate).

DRF's own throttles keep a list of every request time in the window and rewrite it on each
request, which grows with the rate (a 50,000/day scope meant 50,000 timestamps rewritten per
request; see benchmarks/README.md). Rates come from settings at request time, so operators
(and tests) can change them without DRF's import-time caching. The cache is shared by every
web process (the file cache on one host, Redis at scale), so a limit holds across gunicorn
workers.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


def hit(scope: str, subject) -> float | None:
    """Count one request of `subject` (a user id) in `scope` (a key of
    COGVIDEO_THROTTLE_RATES). None when it is within the rate, else the seconds until the
    window ends. A scope without a rate is not limited."""
    rate = settings.COGVIDEO_THROTTLE_RATES.get(scope)
    if not rate:
        return None
    limit, period = parse_rate(rate)
    return hit_rate(scope, subject, limit, period)


def hit_rate(scope: str, subject, limit: int, period: int) -> float | None:
    """Count one request of `subject` in `scope` against `limit` per `period` seconds (a rate
    that is not a setting: a scoped token's own)."""
    now = time.time()
    window = int(now // period)
    key = f"throttle:{scope}:{subject}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1.0, period * (window + 1) - now)
