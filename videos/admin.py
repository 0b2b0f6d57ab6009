"""The admin: jobs with posters, players and actions, a "Generate video" form, prompt templates
with a live preview. Every write goes through videos/services (reruns included), every read
through videos/access: editors see their own jobs, staff all."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import TokenProxy

from . import access, selectors, services
from .admin_forms import GenerateVideoForm, PromptTemplateForm, read_sample_variables
from .job_specs import current_profile
from .models import ApiToken, JobStatus, PromptTemplate, TokenKind, Video, VideoJob, WorkerHeartbeat
from .prompt_checks import preview_template

MAX_ZIP_VIDEOS = 50
CANCELABLE = (JobStatus.QUEUED, JobStatus.PROCESSING)


def _cell(key: str, value) -> str:
    """A parameter as people read it: seconds to a tenth, bytes in MB, a nested table for an
    object, a list as its items, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return VideoJobAdmin._table(value) if value else "—"
    if isinstance(value, list):
        return (
            ", ".join(str(item) for item in value)
            if all(not isinstance(i, dict | list) for i in value)
            else json.dumps(value)
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key.endswith("_seconds"):
            return f"{value:.1f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"
        if key.endswith("_bytes") and value >= 1_000_000:
            return f"{value / 1_000_000:.1f} MB"
        if key.endswith("_unix"):
            return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return value


def video_of(job: VideoJob) -> Video | None:
    """The job's own video, or the earlier one a same-request reuse answered it with."""
    return job.result_video


def download_url(video: Video, variant: str = "video") -> str:
    url = reverse("api-download", args=[video.id])
    return url if variant == "video" else f"{url}?variant={variant}"


def describe_errors(errors) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{name}: {describe_errors(value)}" for name, value in errors.items())
    if isinstance(errors, list):
        return " ".join(describe_errors(item) for item in errors)
    return str(errors)


@admin.register(VideoJob)
class VideoJobAdmin(admin.ModelAdmin):
    # Six columns fit beside the admin's menu and filters at 1280 px: owner and template go
    # under the prompt, the progress bar under the status.
    list_display = (
        "poster_thumbnail",
        "prompt_excerpt",
        "state",
        "created",
        "generation_time",
    )
    list_display_links = ("poster_thumbnail", "prompt_excerpt")
    list_filter = (
        "status",
        ("owner", admin.RelatedOnlyFieldListFilter),
        ("template", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("prompt",)
    ordering = ("-created_at",)
    list_select_related = ("owner", "template", "video", "reused_from", "reused_from__job")
    list_per_page = 50
    # The exact total needs a second COUNT over every job; the filtered count is enough.
    show_full_result_count = False
    actions = ("cancel_selected", "retry_failed", "regenerate_with_new_seed", "download_selected")
    fieldsets = (
        (None, {"fields": ("player", "status_badge", "progress_bar", "stage", "owner", "source")}),
        ("Prompt", {"fields": ("start_image", "prompt", "negative_prompt", "template", "variables_table")}),
        ("Parameters", {"fields": ("params_table",)}),
        ("Problems", {"fields": ("error", "error_code", "warnings_list")}),
        (
            "Timeline",
            {"fields": ("timeline", "generation_time", "attempts", "worker")},
        ),
        (
            "Integration",
            {"fields": ("metadata", "callback_url", "idempotency_key"), "classes": ("collapse",)},
        ),
    )
    readonly_fields = (
        "player",
        "status_badge",
        "progress_bar",
        "stage",
        "owner",
        "source",
        "start_image",
        "prompt",
        "negative_prompt",
        "template",
        "variables_table",
        "params_table",
        "error",
        "error_code",
        "warnings_list",
        "timeline",
        "generation_time",
        "attempts",
        "worker",
        "metadata",
        "callback_url",
        "idempotency_key",
    )

    class Media:
        css = {"all": ("videos/admin.css",)}
        js = ("videos/hover_preview.js",)

    # -- access ---------------------------------------------------------------------------
    def get_queryset(self, request):
        return access.jobs_visible_to(request.user).select_related(
            "owner", "template", "video", "reused_from", "reused_from__job"
        )

    def has_change_permission(self, request, obj=None) -> bool:
        # Jobs change only through services (cancel, retry...), never by editing fields.
        return False

    def has_cancel_permission(self, request) -> bool:
        # The queryset already holds only the jobs this user may see (their own, or all for
        # staff), exactly as POST /api/cancel allows.
        return self.has_view_permission(request)

    def has_rerun_permission(self, request) -> bool:
        return self.has_add_permission(request)

    def has_download_permission(self, request) -> bool:
        return self.has_view_permission(request)

    # -- list columns ---------------------------------------------------------------------
    @admin.display(description="Poster")
    def poster_thumbnail(self, job: VideoJob) -> str:
        video = video_of(job)
        if video is None or not video.poster:
            return format_html('<span class="cv-no-poster" aria-hidden="true">—</span>')
        if selectors.video_file(video, "preview") is None:  # older videos have no preview
            return format_html(
                '<img class="cv-thumb" src="{}" alt="Poster of job {}" loading="lazy" width="96">',
                download_url(video, "thumbnail"),
                str(job.id)[:8],
            )
        # hover_preview.js swaps in the animated WebP while the pointer (or focus) is on it.
        return format_html(
            '<img class="cv-thumb" src="{}" data-preview="{}" alt="Poster of job {}" loading="lazy" width="96">',
            download_url(video, "thumbnail"),
            download_url(video, "preview"),
            str(job.id)[:8],
        )

    @admin.display(description="Prompt")
    def prompt_excerpt(self, job: VideoJob) -> str:
        prompt = Truncator(job.prompt).chars(80)
        by = f"by {job.owner.get_username()}" + (f" · template: {job.template.name}" if job.template else "")
        return format_html('{}<br><span class="cv-quiet">{}</span>', prompt, by)

    @admin.display(description="Created (UTC)", ordering="created_at")
    def created(self, job: VideoJob) -> str:
        moment = job.created_at.astimezone(UTC)
        return format_html(
            '<time datetime="{}">{}<br>{}</time>', moment.isoformat(), f"{moment:%Y-%m-%d}", f"{moment:%H:%M:%S}"
        )

    @admin.display(description="Status", ordering="status")
    def state(self, job: VideoJob) -> str:
        """The badge, with the progress bar under it while the job can still make progress."""
        if job.status in (JobStatus.CANCELED, JobStatus.FAILED):
            return self.status_badge(job)
        return format_html("{}<br>{}", self.status_badge(job), self.progress_bar(job))

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: VideoJob) -> str:
        return format_html('<span class="cv-badge cv-{}">{}</span>', job.status, job.get_status_display())

    @admin.display(description="Progress", ordering="progress")
    def progress_bar(self, job: VideoJob) -> str:
        if job.status in (JobStatus.CANCELED, JobStatus.FAILED):
            # A part-filled bar would say the job may still finish.
            return format_html("— (stopped at {}%)", job.progress)
        value = 100 if job.status == JobStatus.COMPLETED else job.progress
        return format_html(
            '<progress class="cv-progress" max="100" value="{}" aria-label="Progress">{}%</progress> {}%',
            value,
            value,
            value,
        )

    @admin.display(description="Generation time")
    def generation_time(self, job: VideoJob) -> str:
        if job.started_at and job.finished_at and job.status == JobStatus.COMPLETED:
            return f"{(job.finished_at - job.started_at).total_seconds():.1f} s"
        return "—"

    # -- page fields ----------------------------------------------------------------------
    @admin.display(description="Video")
    def player(self, job: VideoJob) -> str:
        video = video_of(job)
        if video is None:
            return "No video yet." if not job.is_terminal else "No video."
        return format_html(
            '<video class="cv-player" controls preload="metadata" playsinline poster="{}" src="{}" '
            'width="{}" aria-label="Generated video"></video>'
            '<p class="cv-video-facts">{}x{}, {} frames at {} fps ({}), {} bytes. '
            '<a href="{}" download>Download MP4</a> · <a href="{}">Poster JPEG</a></p>',
            download_url(video, "thumbnail"),
            download_url(video),
            max(video.width, 320),
            video.width,
            video.height,
            video.frames,
            video.fps,
            video.duration_label,
            video.size_bytes,
            download_url(video),
            download_url(video, "thumbnail"),
        )

    @admin.display(description="Start image")
    def start_image(self, job: VideoJob) -> str:
        """An image-to-video job's input as it was given, and how it was fitted."""
        if not job.source_image:
            return "— (text to video)"
        described = (job.params or {}).get("image") or {}
        url = reverse("api-task-image", args=[job.id])
        return format_html(
            '<a href="{}"><img class="cv-start-image" src="{}" alt="Start image of job {}" width="{}"></a>'
            '<p class="cv-video-facts">{} {}x{}, {} bytes, from {}; fitted to {} by {}.</p>',
            url,
            url,
            str(job.id)[:8],
            min(described.get("width") or 240, 240),
            (described.get("format") or "").upper(),
            described.get("width"),
            described.get("height"),
            described.get("bytes"),
            {"data_url": "a data URL", "upload": "an upload", "image_url": "a URL"}.get(described.get("source"), "?"),
            described.get("fitted_to"),
            described.get("fit"),
        )

    @admin.display(description="Timeline (UTC)")
    def timeline(self, job: VideoJob) -> str:
        """Times to the second, and each step's offset from creation: a queue wait and a
        generation time are read at a glance."""
        rows = []
        for label, moment in (
            ("created", job.created_at),
            ("started", job.started_at),
            ("cancel requested", job.cancel_requested_at),
            ("finished", job.finished_at),
        ):
            if moment is None:
                continue
            offset = (moment - job.created_at).total_seconds()
            rows.append((label, moment.strftime("%Y-%m-%d %H:%M:%S"), f"+{offset:.1f} s" if offset else ""))
        return format_html(
            '<table class="cv-params">{}</table>',
            format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="Variables")
    def variables_table(self, job: VideoJob) -> str:
        return self._table(job.variables or {}) if job.variables else "—"

    @admin.display(description="Resolved parameters (seed included)")
    def params_table(self, job: VideoJob) -> str:
        params = {key: value for key, value in (job.params or {}).items() if key != "seed_given"}
        return self._table(params)

    @admin.display(description="Warnings")
    def warnings_list(self, job: VideoJob) -> str:
        if not job.warnings:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w,) for w in job.warnings)))

    @staticmethod
    def _table(values: dict) -> str:
        """A parameter table; a nested object (timings, image, files) as a table in its cell."""
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td></tr>",
            ((key, _cell(key, value)) for key, value in values.items()),
        )
        return format_html('<table class="cv-params">{}</table>', rows)

    # -- extra pages ----------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("generate/", wrap(self.generate_view), name="videos_videojob_generate"),
            path("<uuid:job_id>/cancel/", wrap(require_POST(self.cancel_view)), name="videos_videojob_cancel"),
            path("<uuid:job_id>/rerun/", wrap(require_POST(self.rerun_view)), name="videos_videojob_rerun"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:videos_videojob_generate")

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GenerateVideoForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            spec = form.validated_spec()
            if spec is not None:
                try:
                    job, _created = services.create_job(request.user, spec, source="admin")
                except services.ServiceError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.log_addition(request, job, "Generated from the admin.")
                    self.message_user(request, "The video is queued; this page shows its progress.")
                    return redirect("admin:videos_videojob_change", job.pk)
        _model, profile = current_profile()
        templates = [
            {"slug": t.slug, "name": t.name, "placeholders": preview_template(t.text, {})["placeholders"]}
            for t in PromptTemplate.objects.filter(is_active=True)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Generate video",
            "form": form,
            "profile": profile,
            "templates": templates,
        }
        return TemplateResponse(request, "admin/videos/videojob/generate.html", context)

    def _visible_job(self, request, job_id) -> VideoJob:
        job = self.get_object(request, str(job_id))
        if job is None:
            raise Http404("No such job.")
        return job

    def cancel_view(self, request: HttpRequest, job_id) -> HttpResponse:
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        job = self._visible_job(request, job_id)
        try:
            services.cancel_job(job)
        except services.ServiceError as exc:
            self.message_user(request, exc.message, messages.WARNING)
        else:
            self.message_user(request, "The job was canceled.")
        return redirect("admin:videos_videojob_change", job.pk)

    def rerun_view(self, request: HttpRequest, job_id) -> HttpResponse:
        if not self.has_rerun_permission(request):
            raise PermissionDenied
        job = self._visible_job(request, job_id)
        new_seed = request.POST.get("seed") == "new"
        try:
            new_job = services.rerun_job(job, new_seed=new_seed, source="admin")
        except (ValidationError, services.ServiceError) as exc:
            self.message_user(request, self._rerun_problem(exc), messages.ERROR)
            return redirect("admin:videos_videojob_change", job.pk)
        self.log_addition(request, new_job, f"Rerun of {job.pk} ({'new seed' if new_seed else 'same seed'}).")
        self.message_user(request, f"Queued a new job from {str(job.pk)[:8]}.")
        return redirect("admin:videos_videojob_change", new_job.pk)

    @staticmethod
    def _rerun_problem(exc: Exception) -> str:
        if isinstance(exc, services.ServiceError):
            return exc.message
        return "The job's parameters are no longer valid: " + describe_errors(exc.message_dict)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        job = self.get_object(request, object_id)
        if job is not None:
            video = video_of(job)
            extra_context["job_tools"] = {
                "cancel": job.status in CANCELABLE and self.has_cancel_permission(request),
                "rerun": self.has_rerun_permission(request),
                "retry": job.status == JobStatus.FAILED,
                "download": download_url(video) if video else None,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # -- actions ----------------------------------------------------------------------------
    @admin.action(description="Cancel selected jobs", permissions=["cancel"])
    def cancel_selected(self, request, queryset) -> None:
        canceled = skipped = 0
        for job in queryset:
            try:
                services.cancel_job(job)
                canceled += 1
            except services.JobNotCancelable:
                skipped += 1
        self.message_user(request, f"Canceled {canceled} job(s).")
        if skipped:
            self.message_user(request, f"{skipped} job(s) had already finished.", messages.WARNING)

    @admin.action(description="Retry failed jobs (same parameters)", permissions=["rerun"])
    def retry_failed(self, request, queryset) -> None:
        self._rerun_all(request, queryset.filter(status=JobStatus.FAILED), new_seed=False)
        skipped = queryset.exclude(status=JobStatus.FAILED).count()
        if skipped:
            self.message_user(request, f"Skipped {skipped} job(s) that did not fail.", messages.WARNING)

    @admin.action(description="Regenerate with a new seed", permissions=["rerun"])
    def regenerate_with_new_seed(self, request, queryset) -> None:
        self._rerun_all(request, queryset, new_seed=True)

    def _rerun_all(self, request, queryset, *, new_seed: bool) -> None:
        queued = 0
        for job in queryset:
            try:
                new_job = services.rerun_job(job, new_seed=new_seed, source="admin")
            except (ValidationError, services.ServiceError) as exc:
                self.message_user(request, f"{str(job.pk)[:8]}: {self._rerun_problem(exc)}", messages.ERROR)
                if isinstance(exc, services.ServiceError):
                    break  # a queue cap: the next ones would hit it too
                continue
            self.log_addition(request, new_job, f"Rerun of {job.pk}.")
            queued += 1
        self.message_user(request, f"Queued {queued} new job(s).")

    @admin.action(description="Download videos", permissions=["download"])
    def download_selected(self, request, queryset):
        videos = list(
            Video.objects.filter(
                Q(job__in=queryset.filter(status=JobStatus.COMPLETED))
                | Q(reused_by__in=queryset.filter(status=JobStatus.COMPLETED))
            )
            .distinct()
            .order_by("created_at")[: MAX_ZIP_VIDEOS + 1]
        )
        if not videos:
            self.message_user(request, "None of the selected jobs has a video.", messages.WARNING)
            return None
        if len(videos) > MAX_ZIP_VIDEOS:
            self.message_user(request, f"Select at most {MAX_ZIP_VIDEOS} videos to download.", messages.ERROR)
            return None
        if len(videos) == 1:
            return HttpResponseRedirect(download_url(videos[0]))
        # A spooled file: small archives stay in memory, large ones go to disk.
        archive = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:  # MP4s don't compress
            for video in videos:
                with video.file.open("rb") as source, bundle.open(f"{video.id}.mp4", "w") as target:
                    shutil.copyfileobj(source, target)
        archive.seek(0)
        return FileResponse(archive, as_attachment=True, filename="videos.zip", content_type="application/zip")


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("id", "job_link", "owner", "width", "height", "frames", "size_bytes", "created_at")
    list_select_related = ("owner", "job")
    readonly_fields = ("job", "owner", "file", "poster", "width", "height", "frames", "fps", "size_bytes", "sha256")

    def get_queryset(self, request):
        return access.videos_visible_to(request.user).select_related("owner", "job")

    def has_add_permission(self, request) -> bool:
        return False  # videos come from jobs

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Job")
    def job_link(self, video: Video) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:videos_videojob_change", args=[video.job_id]),
            Truncator(video.job.prompt).chars(60),
        )


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    form = PromptTemplateForm
    list_display = ("name", "slug", "placeholder_names", "success_rate", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "text")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("preview", "success_rate")
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active", "success_rate")}),
        ("Prompt", {"fields": ("text", "sample_variables", "preview", "default_negative_prompt")}),
        (
            "Defaults for jobs from this template (empty: the model's own)",
            {
                "fields": (
                    ("default_duration", "default_resolution", "default_fit", "default_fps"),
                    ("default_quality", "default_steps", "default_guidance"),
                )
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**selectors.template_outcome_counts())

    @admin.display(description="Jobs finished (succeeded)")
    def success_rate(self, template: PromptTemplate | None) -> str:
        if template is None or template.pk is None:
            return "—"
        counts = getattr(template, "finished_jobs", None)
        if counts is None:  # the change page's object comes without the annotation
            counted = PromptTemplate.objects.filter(pk=template.pk).annotate(**selectors.template_outcome_counts())
            template = counted.get()
        if not template.finished_jobs:
            return "no finished job yet"
        share = 100 * template.completed_jobs / template.finished_jobs
        return f"{template.finished_jobs} ({template.completed_jobs} succeeded, {share:.0f} %)"

    class Media:
        css = {"all": ("videos/admin.css",)}
        js = ("videos/template_preview.js",)

    @admin.display(description="Placeholders")
    def placeholder_names(self, template: PromptTemplate) -> str:
        names = preview_template(template.text, {})["placeholders"]
        return ", ".join(names) or "—"

    @admin.display(description="Preview with the sample variables")
    def preview(self, template: PromptTemplate | None) -> str:
        # The server-rendered first state; template_preview.js refreshes it while typing.
        result = self._preview(template.text if template else "", template.sample_variables if template else {})
        return format_html(
            '<div id="cv-template-preview" data-preview-url="{}" aria-live="polite">'
            '<p class="cv-preview-text">{}</p><p class="cv-preview-meta">{}</p>{}</div>',
            reverse("admin:videos_prompttemplate_preview"),
            result["prompt"] or result["error"] or "—",
            f"About {result['estimated_tokens']} of {result['token_limit']} tokens.",
            format_html(
                '<ul class="cv-preview-warnings">{}</ul>',
                format_html_join("", '<li class="cv-warning">{}</li>', ((w,) for w in result["warnings"])),
            ),
        )

    @staticmethod
    def _preview(text: str, variables) -> dict:
        _model, profile = current_profile()
        return preview_template(text, variables, profile.max_text_tokens)

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(require_POST(self.preview_view)),
                name="videos_prompttemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """POST text + sample_variables (name = value lines, or JSON): the rendered prompt and
        its warnings."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = request.POST.get("text", "")
        try:
            variables = read_sample_variables(request.POST.get("sample_variables") or "")
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages), "prompt": "", "warnings": []})
        return JsonResponse(self._preview(text, variables))

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        for warning in self._preview(obj.text, obj.sample_variables)["warnings"]:
            self.message_user(request, f"{obj.name}: {warning}", messages.WARNING)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "device",
        "model",
        "model_loaded",
        "memory_mode",
        "current_job",
        "pipeline_runs",
        "last_seen",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- API tokens. Only digests are stored (videos/token_rules.py): a token is listed by its
# prefix (its str(), which the admin puts in titles, messages and the action log, is the prefix
# too), shown once on the page that answers its creation, and revoked, not edited. DRF's own
# token admin (the old plaintext table, emptied by migration 0010) is not registered.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_prefix", "user", "name", "kind", "created_at", "last_used_at", "expires_at", "state")
    list_filter = ("kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "name", "prefix")
    actions = ["revoke"]
    readonly = (
        "key_prefix",
        "user",
        "name",
        "kind",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "actions",
        "origins",
        "rate_per_minute",
        "job_quota",
    )

    def get_fields(self, request, obj=None):
        return ("user", "name", "expires_at") if obj is None else self.readonly

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly

    @admin.display(description="Key")
    def key_prefix(self, obj) -> str:
        return f"{obj.prefix}…"

    @admin.display(description="State")
    def state(self, obj) -> str:
        if obj.revoked_at:
            return "revoked"
        return "expired" if obj.is_expired() else "active"

    @admin.display(description="Origins")
    def origins(self, obj) -> str:
        return ", ".join(obj.allowed_origins.values_list("origin", flat=True)) or "-"

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = services.revoke_tokens(queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # The admin adds account tokens; scoped ones come from POST /api/tokens/scoped and
        # `manage.py create_scoped_token`.
        issued = services.issue_account_token(obj.user, name=obj.name, expires_at=obj.expires_at)
        # The admin goes on with `obj` (action log, answer page): make it the stored row.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued.token, field.attname))
        obj._state.adding = False
        obj.text = issued.text

    def response_add(self, request, obj, post_url_continue=None):
        # Rendered, not redirected: the token never goes into a message stored in a cookie or
        # the session, and is not on any page after this one.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API token created",
            "token": obj,
            "token_text": obj.text,
            "account": obj.kind == TokenKind.ACCOUNT,
        }
        response = TemplateResponse(request, "admin/videos/apitoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response
