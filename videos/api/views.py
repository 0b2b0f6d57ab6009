"""Thin API views: parse, call a service or selector, shape the answer."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..access import access_job, access_video, jobs_visible_to
from ..generation.profiles import profile_for
from ..job_specs import model_label, parse_prompt_check
from ..prompt_checks import check_prompt
from . import docs
from .downloads import serve_file
from .errors import error_body
from .form_requests import request_body
from .idempotent import generate_response, idempotent_response
from .listing import TaskFilters, TaskPagination
from .parsers import SafeJSONParser
from .serializers import GENERATE_EXAMPLE, GenerateFormRequestSerializer, GenerateRequestSerializer


class GenerateView(APIView):
    token_action = "generate"  # what a scoped token must allow (videos/api/permissions.py)
    parser_classes = [SafeJSONParser, MultiPartParser]  # JSON, or a form with an image file
    # The rate of new jobs (COGVIDEO_THROTTLE_GENERATE) is counted by services.create_job, the
    # same for the studio and the admin.

    @property
    def max_body_bytes(self) -> int:
        """Read by SafeJSONParser: a generate body may carry an image as a data URL."""
        return settings.COGVIDEO_MAX_GENERATE_BODY_BYTES

    @extend_schema(
        operation_id="generate",
        request={"application/json": GenerateRequestSerializer, "multipart/form-data": GenerateFormRequestSerializer},
        parameters=[docs.IDEMPOTENCY_HEADER],
        responses={200: docs.JobStatusSerializer, **docs.ERRORS_WRITE},
        examples=[
            OpenApiExample("A text-to-video job", value=GENERATE_EXAMPLE, request_only=True),
            OpenApiExample(
                "An image-to-video job",
                value={
                    "prompt": "The waves roll in",
                    "model": "cogvideox-5b-i2v",
                    "image_url": "https://cms.example.com/a.jpg",
                },
                request_only=True,
            ),
        ],
        description="Create a job. Answers 200 (not 201) with the queued job: existing CMS clients check for 200 "
        "(README, Integrating a CMS). JSON, or multipart/form-data with an image-to-video model's input image as "
        "the `image` file part (the other fields as text, read as their JSON values). An image refused for its size "
        "answers 413, for its type 415.",
    )
    def post(self, request):
        body = request_body(request)
        serializer = GenerateRequestSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        return generate_response(request, serializer.validated_data, source="api", body=body)


class StatusView(APIView):
    token_action = "status"

    @extend_schema(operation_id="status", responses={200: docs.JobStatusSerializer, **docs.ERRORS_READ})
    def get(self, request, task_id):
        return Response(selectors.job_status_body(access_job(request.user, task_id, request.auth), request))


class CancelView(APIView):
    @extend_schema(
        operation_id="cancel",
        request=None,
        parameters=[docs.IDEMPOTENCY_HEADER],
        responses={200: docs.JobStatusSerializer, **docs.ERRORS_READ, 409: docs.ERROR},
        description="Queued or processing -> canceled (a running job stops at its next step); finished -> 409.",
    )
    def post(self, request, task_id):
        job = access_job(request.user, task_id, request.auth)

        def produce():
            return 200, selectors.job_status_body(services.cancel_job(job), request)

        return idempotent_response(request, f"cancel:{job.pk}", str(job.pk), produce)


class TaskListView(APIView):
    token_action = "list"

    @extend_schema(
        operation_id="tasks",
        parameters=docs.TASK_LIST_PARAMETERS,
        responses={200: docs.TaskPageSerializer, **docs.ERRORS_READ},
        description="The caller's jobs, newest first, cursor-paginated. Filter by status, created_after and "
        "metadata keys (`metadata.post_id=17`).",
    )
    def get(self, request):
        filters = TaskFilters.from_query(request.query_params)
        jobs = filters.apply(jobs_visible_to(request.user, request.auth).filter(owner=request.user))
        paginator = TaskPagination()
        page = paginator.paginate_queryset(jobs.select_related("video", "template"), request, view=self)
        return paginator.get_paginated_response([selectors.job_status_body(job, request) for job in page])


class DownloadView(APIView):
    token_action = "download"

    @extend_schema(
        operation_id="download",
        parameters=[
            OpenApiParameter("variant", enum=list(selectors.DOWNLOAD_VARIANTS), required=False),
            OpenApiParameter("Range", location=OpenApiParameter.HEADER, required=False),
        ],
        responses={
            (200, "video/mp4"): OpenApiResponse(
                description="The MP4; variant=thumbnail the JPEG poster, preview the animated WebP preview, "
                'webm the VP9 WebM (when the request asked for formats ["mp4", "webm"])'
            ),
            (206, "video/mp4"): OpenApiResponse(description="The requested byte range"),
            **docs.ERRORS_READ,
            400: docs.ERROR,
            416: docs.ERROR,
        },
    )
    def get(self, request, video_id):
        video = access_video(request.user, video_id, request.auth)
        variant = request.query_params.get("variant", "video")
        if variant not in selectors.DOWNLOAD_VARIANTS:
            names = ", ".join(f"'{name}'" for name in selectors.DOWNLOAD_VARIANTS)
            return Response(error_body(400, f"variant must be one of {names}.", "validation_error"), status=400)
        content_type, extension = selectors.DOWNLOAD_VARIANTS[variant]
        if variant == "source":
            content_type, extension = selectors.input_image_type(video.job)
        filename = selectors.download_name(video, extension, variant)  # the prompt and seed, not the id
        return serve_file(request, selectors.video_file(video, variant), content_type, filename)


class TaskImageView(APIView):
    @extend_schema(
        operation_id="task_image",
        responses={
            (200, "image/png"): OpenApiResponse(
                description="An image-to-video job's input image as it was given (PNG, JPEG or WebP; the job's "
                "params.image says how it was fitted to the render size). The job's owner and staff only."
            ),
            **docs.ERRORS_READ,
        },
    )
    def get(self, request, task_id):
        job = access_job(request.user, task_id)
        if not job.source_image:
            return Response(error_body(404, "This job has no input image.", "not_found"), status=404)
        content_type, extension = selectors.input_image_type(job)
        return serve_file(request, job.source_image, content_type, f"{job.id}-input.{extension}")


class TaskLivePreviewView(APIView):
    token_action = "status"

    @extend_schema(
        operation_id="task_live_preview",
        responses={
            (200, "image/jpeg"): OpenApiResponse(
                description="While the job denoises: a small JPEG of its current latents (a linear latent-to-RGB "
                "projection of the middle frame), refreshed about once a second; the status body's "
                "live_preview_url names the step. 404 when the job is not denoising."
            ),
            **docs.ERRORS_READ,
        },
    )
    def get(self, request, task_id):
        job = access_job(request.user, task_id, request.auth)
        if job.status != "processing" or job.live_preview is None:
            return Response(error_body(404, "This job has no live preview now.", "not_found"), status=404)
        response = HttpResponse(bytes(job.live_preview), content_type="image/jpeg")
        response["Cache-Control"] = "no-store"
        return response


class SystemStatusView(APIView):
    @extend_schema(operation_id="system_status", responses={200: docs.SystemStatusSerializer, **docs.ERRORS_READ})
    def get(self, request):
        return Response(selectors.system_status(viewer=request.user))


class ModelListView(APIView):
    @extend_schema(
        operation_id="models",
        responses={200: docs.ModelListSerializer, **docs.ERRORS_READ},
        description="The models this installation serves, with what a request may ask of each: trained sizes "
        "(a request of another size renders at the nearest and is fitted), delivered sizes, fps, durations, "
        "fits and formats.",
    )
    def get(self, request):
        return Response({"models": selectors.served_models()})


class PromptCheckView(APIView):
    token_action = "generate"  # a step of writing a generate request

    @extend_schema(
        operation_id="prompt_check",
        request=docs.PromptCheckRequestSerializer,
        responses={200: docs.PromptCheckSerializer, **docs.ERRORS_READ, 400: docs.ERROR},
        description="How the model reads a prompt before it is sent: its token count by the model's own "
        "tokenizer (`counted_by: tokenizer`; `estimate` where the tokenizer is not on the service's machine), "
        "whether the model would cut it, and advice (length, language). Creates nothing.",
    )
    def post(self, request):
        prompt, model = parse_prompt_check(request.data)
        limit = profile_for(model).max_text_tokens
        return Response({"model": model_label(model), **check_prompt(prompt, model, limit)})


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(operation_id="health", auth=[], responses={200: docs.HealthSerializer})
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})
