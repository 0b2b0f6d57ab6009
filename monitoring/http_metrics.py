"""HTTP request counters and latency histograms, shared by every web process.

gunicorn runs several worker processes; each keeps its own counters. prometheus-client's
multiprocess mode makes each process write its values to small memory-mapped files in
PROMETHEUS_MULTIPROC_DIR (set from COGVIDEO_METRICS_DIR in settings, before this module is
imported), and a scrape sums the files of all processes, dead ones included, so counters
never go backwards when gunicorn replaces a worker. Only counters and histograms are kept
here: they need no clean-up when a process exits (live gauges would).
"""

from __future__ import annotations

import logging
import mmap
import os

from prometheus_client import Counter, Histogram, mmap_dict, values

logger = logging.getLogger(__name__)


class AllocatedMmapedDict(mmap_dict.MmapedDict):
    """prometheus-client's value file with its blocks allocated before they are mapped.

    The library grows a file with truncate(), which leaves it sparse; on a full disk the first
    write to a new page of the mapping then kills the process with SIGBUS (a gunicorn worker
    died that way when the data folder filled up). Allocating first turns a full disk into an
    OSError, and the request's numbers are dropped instead (see observe)."""

    def __init__(self, filename, read_mode=False):
        super().__init__(filename, read_mode)
        if not read_mode:
            os.posix_fallocate(self._f.fileno(), 0, self._capacity)

    def _init_value(self, key):
        needed = self._used + len(key.encode("utf-8")) + 32  # entry: size, key, padding, 2 doubles
        if needed > self._capacity:
            capacity = self._capacity
            while needed > capacity:
                capacity *= 2
            self._f.truncate(capacity)
            os.posix_fallocate(self._f.fileno(), 0, capacity)
            self._capacity = capacity
            self._m = mmap.mmap(self._f.fileno(), capacity)
        super()._init_value(key)


values.MmapedDict = AllocatedMmapedDict  # what MultiProcessValue opens its files with

# Latency buckets for an API that mostly answers from the database in milliseconds, with
# downloads of large MP4s at the slow end.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

requests_total = Counter(
    "cogvideo_http_requests",
    "HTTP requests answered, by method, endpoint (URL name) and status code.",
    ["method", "endpoint", "status"],
)
request_seconds = Histogram(
    "cogvideo_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and endpoint (URL name).",
    ["method", "endpoint"],
    buckets=LATENCY_BUCKETS,
)


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "OTHER"
    try:
        requests_total.labels(method, endpoint, str(status)).inc()
        request_seconds.labels(method, endpoint).observe(seconds)
    except OSError as exc:  # a full disk under COGVIDEO_METRICS_DIR: the answer matters more
        logger.warning("request not counted in the metrics: %s", exc)
