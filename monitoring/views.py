"""Thin views: metrics (Prometheus text), readiness (JSON), the staff dashboard (HTML)."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from .access import check_metrics_access
from .collectors import DatabaseCollector
from .health import readiness


@require_safe
def metrics_view(request):
    denied = check_metrics_access(request)
    if denied is not None:
        response = HttpResponse(denied.message + "\n", status=denied.status, content_type="text/plain; charset=utf-8")
        if denied.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # A fresh registry per scrape: the HTTP numbers of every web process (multiprocess files)
    # plus the job and worker numbers read from the database now.
    registry = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(registry)
    registry.register(DatabaseCollector())
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def readiness_view(request):
    """200 when the database and broker answer and a worker heartbeat is fresh, else 503
    (for load balancers and systemd). Public, like /api/health: it tells nothing private."""
    body = readiness()
    if body["ready"]:
        response = JsonResponse({"status": "ready", **body}, status=200)
    else:
        failing = [name for name, check in body["checks"].items() if not check["ok"]]
        error = {
            "code": "not_ready",
            "message": "Not ready: " + "; ".join(body["checks"][n]["detail"] for n in failing),
        }
        response = JsonResponse({"status": "not_ready", "error": error, **body}, status=503)
        response["Retry-After"] = "5"
        # Load balancers poll this every few seconds; health.py logs the reason once at INFO,
        # so Django's ERROR line for every 5xx would only be noise.
        response._has_been_logged = True
    response["Cache-Control"] = "no-store"
    return response
