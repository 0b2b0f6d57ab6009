"""HTTP request counters and latency histograms, shared by every web process.

gunicorn runs several worker processes; each keeps its own counters. prometheus-client's
multiprocess mode makes each process write its values to small memory-mapped files in
PROMETHEUS_MULTIPROC_DIR (set from COGVIDEO_METRICS_DIR in settings, before this module is
imported), and a scrape sums the files of all processes, dead ones included, so counters
never go backwards when gunicorn replaces a worker. Only counters and histograms are kept
here: they need no clean-up when a process exits (live gauges would).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
    requests_total.labels(method, endpoint, str(status)).inc()
    request_seconds.labels(method, endpoint).observe(seconds)
