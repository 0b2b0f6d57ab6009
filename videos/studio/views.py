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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..access import access_job, jobs_visible_to, videos_visible_to
from ..api.form_requests import refuse_large_body, request_body
from ..api.idempotent import generate_response
from ..api.parsers import SafeJSONParser
from ..api.templates_view import active_templates
from ..generation.profiles import profile_for
from ..job_specs import current_profile, model_label, parse_generate_request, served_models
from ..login_forms import LoginLockoutMixin, mark_locked
from ..models import JobStatus
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


def gallery_page(request: HttpRequest):
    """The user's own videos, newest first (staff too see only their own here: it is their
    gallery, not the admin)."""
    videos = videos_visible_to(request.user).filter(owner=request.user).select_related("job").order_by("-created_at")
    return Paginator(videos, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))


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
        },
    }
    return render(request, "studio/index.html", context)


@login_required(login_url="studio-login")
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    """The gallery alone (HTML), for studio.js to refresh it or turn its pages in place."""
    return render(request, "studio/_gallery.html", {"page": gallery_page(request)})


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
