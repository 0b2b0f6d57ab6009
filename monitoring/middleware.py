"""Times every request: one Prometheus observation and one structured log line each."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils.functional import empty

from . import http_metrics

logger = logging.getLogger("cogvideo.requests")


def endpoint_name(request) -> str:
    """A bounded label: the URL pattern's name (never the raw path, whose ids would make a
    new time series per job)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    static = "/" + settings.STATIC_URL.lstrip("/")
    if request.path.startswith(static):
        return "static"
    return "unmatched"


def _resolved_user_id(request) -> int | None:
    """The user id if authentication already ran; never forces a session lookup just to log."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", user) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        endpoint = endpoint_name(request)
        http_metrics.observe(request.method, endpoint, response.status_code, seconds)
        fields = {
            "event": "http.request",
            "method": request.method,
            # The path only: query strings can carry signatures or tokens.
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status_code,
            "ms": round(seconds * 1000, 1),
            "user_id": _resolved_user_id(request),
        }
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            fields["ms"],
            extra={"fields": fields},
        )
        return response
