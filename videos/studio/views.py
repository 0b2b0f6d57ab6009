"""The web studio at "/": one page to write a prompt, follow the job and browse the gallery.

The page is server-rendered; studio.js (vanilla, no build step) posts the form as JSON to
`studio/generate` (or as multipart with the image file, for an image-to-video model) and follows the job through the public API (/api/status, /api/cancel),
which accepts the session cookie plus the CSRF header. Views stay thin: validation is the
one validator (job_specs.parse_generate_request), writes are videos.services, reads go
through videos.access.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Case, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..access import access_job, access_video, jobs_visible_to, videos_visible_to
from ..api.form_requests import refuse_large_body, request_body
from ..api.idempotent import generate_response
from ..api.parsers import SafeJSONParser
from ..api.templates_view import active_templates
from ..generation.profiles import profile_for
from ..job_specs import current_profile, model_label, parse_generate_request, served_models
from ..login_forms import LoginLockoutMixin, mark_locked
from ..models import JobStatus, Video
from ..validation import IMAGE_FORMAT_NAMES, IMAGE_FORMATS, check_size

GALLERY_PAGE_SIZE = 12
# Offered in the resolution box (any valid WIDTHxHEIGHT may be typed); those the current
# model does not accept are left out.
RESOLUTION_SUGGESTIONS = (
    "720x480",
    "480x720",
    "640x384",
    "512x512",
    "480x320",
    "384x256",
    "256x256",
    "128x128",
    "64x64",
)


def _resolutions(profile) -> list[str]:
    from django.core.exceptions import ValidationError

    valid = []
    for value in RESOLUTION_SUGGESTIONS:
        width, height = (int(side) for side in value.split("x"))
        try:
            check_size(width, height, profile)
        except ValidationError:
            continue
        valid.append(value)
    return valid


QUEUE_PANEL_SIZE = 20
SEARCH_MAX_CHARS = 200


def search_text(request: HttpRequest) -> str:
    return (request.GET.get("q") or "").strip()[:SEARCH_MAX_CHARS]


def gallery_page(request: HttpRequest):
    """The user's own videos, newest first, those whose prompt contains `?q=` when given
    (staff too see only their own here: it is their history, not the admin). Each video
    carries its readable download name."""
    videos = videos_visible_to(request.user).filter(owner=request.user).select_related("job").order_by("-created_at")
    query = search_text(request)
    if query:
        videos = videos.filter(job__prompt__icontains=query)
    page = Paginator(videos, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    for video in page.object_list:
        video.download_name = selectors.download_name(video, "mp4")
    page.query = query
    return page


class StudioLoginForm(LoginLockoutMixin, AuthenticationForm):
    pass


class StudioLoginView(auth_views.LoginView):
    """Django's login view with the lockout of the admin's (videos/login_forms.py)."""

    template_name = "studio/login.html"
    authentication_form = StudioLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        mark_locked(response, form)
        return response


def studio_models() -> list[str]:
    """The served models, the default first (the one the form shows when it opens)."""
    default, _profile = current_profile()
    return sorted(served_models(), key=lambda model: model != default)


def model_choices() -> list[dict]:
    """The served models as the studio offers them: GET /api/models's description of each
    (one source for both) with the resolutions to suggest."""
    choices = []
    for model in studio_models():
        profile = profile_for(model)
        choices.append(
            {
                **selectors.model_description(model_label(model), profile),
                "takes_image": profile.takes_image,
                "trained_text": profile.describe_trained_sizes() or "any size",
                "resolutions": _resolutions(profile),
                "size_multiple": profile.size_multiple,
                "steps": {"quality": profile.quality_steps, "draft": profile.draft_steps, "max": profile.max_steps},
            }
        )
    return choices


@login_required(login_url="studio-login")
@require_GET
def studio(request: HttpRequest) -> HttpResponse:
    models = model_choices()
    described = models[0]  # the first model's choices; studio.js switches them with the model
    profile = profile_for(studio_models()[0])
    running = (
        jobs_visible_to(request.user)
        .filter(owner=request.user, status__in=[JobStatus.QUEUED, JobStatus.PROCESSING])
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    context = {
        "profile": profile,
        "durations": profile.durations,
        "default_duration": profile.default_duration,
        "fits": described["fits"],
        "default_fit": described["default_fit"],
        "fps_choices": described["fps"],
        "trained_sizes": profile.describe_trained_sizes() or "any size",
        "resolutions": _resolutions(profile),
        "default_resolution": f"{profile.native_width}x{profile.native_height}",
        "models": models,
        "image_formats": IMAGE_FORMAT_NAMES,
        "image_types": ",".join(mime for mime, _ext in IMAGE_FORMATS.values()),
        "max_image_mb": settings.COGVIDEO_MAX_IMAGE_BYTES // (1024 * 1024),
        "templates": active_templates(),
        "page": gallery_page(request),
        "running_job": str(running) if running else "",
        "can_use_admin": admin.site.has_permission(request),
        "urls": {
            "generate": reverse("studio-generate"),
            "gallery": reverse("studio-gallery"),
            "status": reverse("api-status", args=["JOB"]),
            "cancel": reverse("api-cancel", args=["JOB"]),
            "rerun": reverse("studio-rerun", args=["00000000-0000-0000-0000-000000000000"]),
            "queue": reverse("studio-queue"),
            "prompt_check": reverse("api-prompt-check"),
            "delete": reverse("studio-delete-video", args=["00000000-0000-0000-0000-000000000000"]),
        },
    }
    return render(request, "studio/index.html", context)


@login_required(login_url="studio-login")
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    """The gallery alone (HTML), for studio.js to refresh it, search it or turn its pages
    in place."""
    return render(request, "studio/_gallery.html", {"page": gallery_page(request)})


@login_required(login_url="studio-login")
@require_GET
def queue(request: HttpRequest) -> JsonResponse:
    """The queue panel's rows: the user's running and queued jobs (the API's status bodies,
    with queue_position and eta_seconds), running first, then in the order they were asked."""
    jobs = (
        jobs_visible_to(request.user)
        .filter(owner=request.user, status__in=[JobStatus.PROCESSING, JobStatus.QUEUED])
        .select_related("video", "template")
        .order_by(Case(When(status=JobStatus.PROCESSING, then=0), default=1), "created_at")[:QUEUE_PANEL_SIZE]
    )
    return JsonResponse({"jobs": [selectors.job_status_body(job, request) for job in jobs]})


@login_required(login_url="studio-login")
@require_GET
def video_page(request: HttpRequest, video_id) -> HttpResponse:
    """A video's permalink: the video with the settings it was made with. Its owner and
    staff only; anyone else gets the 404 of an id that does not exist."""
    video = access_video(request.user, video_id)
    job = video.job
    download = reverse("api-download", args=[video.id])
    params = job.params or {}
    settings_rows = [
        ("Model", job.model or params.get("model")),
        ("Template", job.template.name if job.template_id and job.template else None),
        ("Variables", ", ".join(f"{k}: {v}" for k, v in (job.variables or {}).items()) or None),
        ("Negative prompt", job.negative_prompt or None),
        ("Duration", f"{params.get('duration')} s"),
        ("Resolution", params.get("resolution")),
        ("Fit", params.get("fit")),
        ("Frame rate", f"{params.get('fps')} fps"),
        ("Seed", params.get("seed")),
        ("Steps", params.get("num_inference_steps")),
        ("Guidance scale", params.get("guidance_scale")),
    ]
    context = {
        "video": video,
        "job": job,
        "settings_rows": [(name, value) for name, value in settings_rows if value not in (None, "")],
        "download_url": download,
        "download_name": selectors.download_name(video, "mp4"),
        "use_url": reverse("studio") + f"?use={job.pk}",
        "can_use_admin": admin.site.has_permission(request),
    }
    return render(request, "studio/video.html", context)


class StudioDeleteVideoView(APIView):
    """POST: delete one of the user's own videos from the history, with its job and files
    (services.delete_video). Another user's video is 404, staff's included; a video another
    job still answers with is 409 video_in_use. Session auth, so DRF enforces CSRF."""

    authentication_classes = [SessionAuthentication]

    def post(self, request, video_id):
        access_video(request.user, video_id)  # 404 for an id the user may not see
        try:
            services.delete_video(request.user, video_id)
        except Video.DoesNotExist:
            raise Http404("No such video.") from None
        return Response({"deleted": str(video_id)}, status=200)


class StudioGenerateView(APIView):
    """POST the API's fields as JSON, or as a form with the image file (image-to-video);
    answers the API's status body. Session auth only, so DRF enforces the CSRF token."""

    authentication_classes = [SessionAuthentication]
    parser_classes = [SafeJSONParser, MultiPartParser]

    def post(self, request):
        too_large = refuse_large_body(request)  # not under /api/: the API middleware's cap is checked here
        if too_large is not None:
            return too_large
        body = request_body(request)
        spec = parse_generate_request(body)  # a ValidationError answers 400 (api/errors.py)
        return generate_response(request, spec, source="studio", body=body)  # Idempotency-Key: studio.js


class StudioRerunView(APIView):
    """POST {"seed": "same" | "new"}: a new job like one of the user's own."""

    authentication_classes = [SessionAuthentication]

    def post(self, request, job_id):
        job = access_job(request.user, job_id)
        seed = request.data.get("seed") if isinstance(request.data, dict) else None
        if seed not in {"same", "new"}:
            return Response(
                {"error": {"code": "validation_error", "message": 'seed must be "same" or "new".'}}, status=400
            )
        new_job = services.rerun_job(job, new_seed=seed == "new", source="studio")
        return Response(selectors.job_status_body(new_job, request), status=200)
