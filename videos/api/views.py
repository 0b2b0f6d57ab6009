"""Thin API views: parse, call a service or selector, shape the answer."""

from __future__ import annotations

from django.db import connection
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..access import access_job, access_video
from ..services import request_fingerprint
from .downloads import serve_file
from .serializers import GenerateRequestSerializer

MAX_IDEMPOTENCY_KEY = 255


class GenerateView(APIView):
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > MAX_IDEMPOTENCY_KEY:
            return Response(
                {"error": {"code": "validation_error", "message": "Idempotency-Key is too long (max 255)."}},
                status=400,
            )
        serializer = GenerateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job, _created = services.create_job(
            request.user,
            serializer.validated_data,
            idempotency_key=key,
            fingerprint=request_fingerprint(request.data) if key else "",
            source="api",
        )
        # 200, not 201: the article's clients check `status_code == 200`.
        return Response(selectors.job_status_body(job, request), status=200)


class StatusView(APIView):
    def get(self, request, task_id):
        return Response(selectors.job_status_body(access_job(request.user, task_id), request))


class CancelView(APIView):
    def post(self, request, task_id):
        job = services.cancel_job(access_job(request.user, task_id))
        return Response(selectors.job_status_body(job, request))


class DownloadView(APIView):
    def get(self, request, video_id):
        video = access_video(request.user, video_id)
        variant = request.query_params.get("variant", "video")
        if variant == "thumbnail":
            return serve_file(request, video.poster, "image/jpeg", f"{video.id}.jpg")
        if variant != "video":
            return Response(
                {"error": {"code": "validation_error", "message": "variant must be 'video' or 'thumbnail'."}},
                status=400,
            )
        return serve_file(request, video.file, "video/mp4", f"{video.id}.mp4")


class SystemStatusView(APIView):
    def get(self, request):
        return Response(selectors.system_status())


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})
