"""Request counters in the database: one row per subject and scope (videos.models.RateCounter),
counted by one atomic upsert per request. The one counter behind the API's per-token rates
(videos/api/throttling.py) and the rate of new jobs from every door
(services.create.check_generate_rate).

Why the database: the counter must be exact under concurrency on every web process and host
(an insert-or-increment that returns the new count is one statement, atomic on SQLite and
PostgreSQL alike; the cache's read-then-write `incr` let 73 of 200 concurrent requests past a
limit of 60), and it must not live in a pickled file in the data folder, where a full disk
turned every authenticated request into a 500.

A window starts at a subject's first request and lasts the rate's period; the first request
after it ends starts the next one. So a burst is always counted inside one window, never
split by a clock boundary.

DRF's own throttles keep a list of every request time in the window and rewrite it on each
request (see benchmarks/README.md); this is one small row. Rates come from settings at
request time, so operators (and tests) can change them without DRF's import-time caching.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

from .models import RateCounter

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_TABLE = RateCounter._meta.db_table
# Both backends evaluate every SET expression against the row as it was, so `hits` and
# `window_started` reset together when the window is over.
_UPSERT = f"""
INSERT INTO {_TABLE} (scope, subject, window_started, hits) VALUES (%s, %s, %s, 1)
ON CONFLICT (scope, subject) DO UPDATE SET
    hits = CASE WHEN {_TABLE}.window_started <= %s THEN 1 ELSE {_TABLE}.hits + 1 END,
    window_started = CASE WHEN {_TABLE}.window_started <= %s THEN %s ELSE {_TABLE}.window_started END
RETURNING hits, window_started
"""


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


def count(scope: str, subject, period: int, *, now: float | None = None) -> tuple[int, float]:
    """Count one request of `subject` in `scope`: (requests in the current window, when the
    window started)."""
    now = time.time() if now is None else now
    expired = now - period
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [scope, str(subject), now, expired, expired, now])
        hits, started = cursor.fetchone()
    return int(hits), float(started)


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
    hits, started = count(scope, subject, period, now=now)
    if hits <= limit:
        return None
    return max(1.0, started + period - now)
