"""Response shapes for the OpenAPI schema. The views build their bodies in selectors.py;
tests check real responses against this schema (tests/videos/api/test_openapi.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

STATUSES = ["queued", "processing", "completed", "failed", "canceled"]


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField(), required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class VideoInfoSerializer(serializers.Serializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    frames = serializers.IntegerField()
    fps = serializers.IntegerField()
    duration_seconds = serializers.FloatField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()


class JobStatusSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=STATUSES)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    step = serializers.IntegerField()
    total_steps = serializers.IntegerField()
    stage = serializers.CharField()
    eta_seconds = serializers.FloatField(allow_null=True)
    queue_position = serializers.IntegerField(allow_null=True, help_text="Among the queued jobs of the same model.")
    waiting_for = serializers.CharField(
        allow_null=True, help_text='Queued with no live worker for its model: "a worker for <model>".'
    )
    model = serializers.CharField(allow_null=True, help_text="The served model the job is for.")
    input_image_url = serializers.URLField(
        allow_null=True, help_text="Image-to-video: the input image (GET /api/tasks/{task_id}/image, owner only)."
    )
    live_preview_url = serializers.URLField(
        allow_null=True,
        help_text="While denoising: a small JPEG of the current latents, a new URL each time it changes.",
    )
    video_id = serializers.UUIDField(allow_null=True)
    video_url = serializers.URLField(allow_null=True)
    thumbnail_url = serializers.URLField(allow_null=True)
    preview_url = serializers.URLField(allow_null=True, help_text="Animated WebP preview (hover clip).")
    webm_url = serializers.URLField(allow_null=True, help_text='VP9 WebM, when formats included "webm".')
    error = serializers.CharField(allow_null=True)
    error_code = serializers.CharField(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())
    prompt = serializers.CharField()
    negative_prompt = serializers.CharField(allow_blank=True)
    template = serializers.CharField(allow_null=True)
    variables = serializers.DictField(child=serializers.JSONField())
    params = serializers.DictField(child=serializers.JSONField(), help_text="Every resolved generation parameter.")
    seed = serializers.IntegerField()
    duration = serializers.IntegerField()
    resolution = serializers.CharField()
    metadata = serializers.DictField(child=serializers.JSONField())
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.URLField()
    video = VideoInfoSerializer(required=False)


class TaskPageSerializer(serializers.Serializer):
    results = JobStatusSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    next_cursor = serializers.CharField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class SystemStatusSerializer(serializers.Serializer):
    status = serializers.CharField()
    model = serializers.DictField(child=serializers.JSONField())
    device = serializers.JSONField(allow_null=True)
    memory = serializers.DictField(child=serializers.JSONField())
    queue = serializers.DictField(child=serializers.JSONField())
    workers = serializers.DictField(child=serializers.JSONField())
    disk = serializers.DictField(child=serializers.JSONField())
    jobs_24h = serializers.DictField(child=serializers.JSONField())


class TrainedSizesSerializer(serializers.Serializer):
    sizes = serializers.ListField(child=serializers.CharField(), help_text='Trained sizes, e.g. ["720x480"].')
    bounds = serializers.DictField(
        child=serializers.JSONField(), allow_null=True, help_text="Or bounds: short_side, long_side, multiple."
    )


class ImageLimitsSerializer(serializers.Serializer):
    types = serializers.ListField(child=serializers.CharField(), help_text="Image types taken (judged by the bytes).")
    max_bytes = serializers.IntegerField()
    max_pixels = serializers.IntegerField()
    min_side = serializers.IntegerField()


class ModelInfoSerializer(serializers.Serializer):
    id = serializers.CharField()
    profile = serializers.CharField()
    task = serializers.ChoiceField(choices=["text-to-video", "image-to-video"])
    default = serializers.BooleanField(help_text="What a request without `model` gets.")
    takes_image = serializers.BooleanField(help_text="Image-to-video: a request needs `image` or `image_url`.")
    steps = serializers.DictField(child=serializers.IntegerField(), help_text="quality and draft presets, max.")
    trained = TrainedSizesSerializer()
    default_resolution = serializers.CharField()
    resolution_limits = serializers.DictField(child=serializers.IntegerField())
    native_fps = serializers.IntegerField()
    fps = serializers.ListField(child=serializers.IntegerField())
    durations = serializers.ListField(child=serializers.IntegerField())
    default_duration = serializers.IntegerField()
    max_duration = serializers.IntegerField()
    fits = serializers.ListField(child=serializers.CharField())
    default_fit = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())
    image_limits = ImageLimitsSerializer(
        allow_null=True, help_text="An image-to-video model's input image; null otherwise."
    )
    live_workers = serializers.IntegerField(help_text="Live workers serving this model now.")
    served_now = serializers.BooleanField(help_text="Whether a live worker serves it (else its jobs wait).")
    loaded = serializers.BooleanField(help_text="Whether a live worker has it loaded.")


class PromptCheckRequestSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=2000, allow_blank=True)
    model = serializers.CharField(
        required=False, allow_null=True, help_text="A served model; default: the default model."
    )


class PromptCheckSerializer(serializers.Serializer):
    model = serializers.CharField()
    tokens = serializers.IntegerField()
    token_limit = serializers.IntegerField(help_text="What the model reads; the rest of a longer prompt is cut.")
    counted_by = serializers.ChoiceField(choices=["tokenizer", "estimate"])
    truncated = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class ModelListSerializer(serializers.Serializer):
    models = ModelInfoSerializer(many=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()


class ScopedTokenRequestSerializer(serializers.Serializer):
    """Documentation only: videos/token_rules.parse_scoped_token_request validates."""

    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["generate", "status", "download", "list"]), min_length=1
    )
    origins = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=20, help_text="Exact origins: scheme://host[:port]"
    )
    expires_in = serializers.IntegerField(min_value=60, help_text="Seconds; at most COGVIDEO_SCOPED_TOKEN_MAX_HOURS")
    rate_per_minute = serializers.IntegerField(min_value=1, max_value=600, required=False, default=30)
    job_quota = serializers.IntegerField(min_value=0, max_value=10000, required=False, default=20)
    name = serializers.CharField(max_length=64, required=False, default="browser")


class ScopedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once: only its digest is stored")
    prefix = serializers.CharField()
    name = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())
    origins = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
    rate_per_minute = serializers.IntegerField()
    job_quota = serializers.IntegerField()


ERROR = OpenApiResponse(ErrorSerializer, description="Error (one shape everywhere)")
ERRORS_READ = {401: ERROR, 404: ERROR, 429: ERROR}
ERRORS_WRITE = {400: ERROR, 401: ERROR, 409: ERROR, 413: ERROR, 415: ERROR, 429: ERROR, 503: ERROR}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retries with the same key return the first answer and create nothing.",
)
TASK_LIST_PARAMETERS = [
    OpenApiParameter("limit", int, required=False, description="1-100, default 20"),
    OpenApiParameter("cursor", str, required=False),
    OpenApiParameter("status", enum=STATUSES, required=False),
    OpenApiParameter("created_after", str, required=False, description="ISO 8601 date-time"),
]
