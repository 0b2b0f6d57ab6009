"""The production URLs plus /api/bench/ping (benchmark servers only; see bench_settings)."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from cogvideo_site.urls import urlpatterns as production_urlpatterns


class PingView(APIView):
    """The trivial authenticated endpoint: the same middleware, authentication, permission and
    throttle classes as every API view, and no work of its own."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/bench/ping", PingView.as_view(), name="bench-ping"), *production_urlpatterns]
