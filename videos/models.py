"""The domain: a VideoJob is one request to generate, a Video is its result.

The job row is the single source of truth for a job's state; the queue only carries ids.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


TERMINAL_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


class PromptTemplate(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    text = models.TextField(help_text="Prompt text with {placeholders} filled from `variables`.")
    default_negative_prompt = models.TextField(blank=True, default="")
    default_params = models.JSONField(
        default=dict,
        blank=True,
        help_text='Defaults for duration, resolution, enhance_quality, guidance_scale, e.g. {"duration": 4}.',
    )
    sample_variables = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VideoJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    priority = models.SmallIntegerField(default=0, help_text="Higher runs first among queued jobs.")

    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True, default="")
    template = models.ForeignKey(PromptTemplate, null=True, blank=True, on_delete=models.SET_NULL)
    variables = models.JSONField(default=dict, blank=True)
    # Every resolved generation parameter (model, size, frames, fps, steps, guidance, seed,
    # memory mode...), so any video can be reproduced exactly.
    params = models.JSONField(default=dict)
    # The served model the job is for (params["model"] too): a worker claims only its model's
    # jobs. The input image of an image-to-video job, as uploaded (validated, owner-only).
    model = models.CharField(max_length=255, blank=True, default="", db_index=True)
    source_image = models.FileField(max_length=255, blank=True, default="")

    progress = models.PositiveSmallIntegerField(default=0)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    stage = models.CharField(max_length=32, blank=True, default="queued")
    eta_seconds = models.FloatField(null=True, blank=True)
    # While denoising: a small JPEG of the current latents (videos/generation/live_preview.py)
    # and the step it shows. In the row, not in storage: a web host reads it whatever host
    # the worker runs on, and it is cleared when the job ends.
    live_preview = models.BinaryField(null=True, blank=True, editable=False)
    live_preview_step = models.PositiveIntegerField(default=0)

    error = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    warnings = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=2)
    worker = models.CharField(max_length=128, blank=True, default="")

    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    callback_url = models.URLField(max_length=2000, blank=True, default="")
    source = models.CharField(max_length=16, default="api", help_text="api, studio, admin or batch")
    # Same-request reuse (videos/reuse.py): a digest of everything that determines the pixels
    # (looked up only for explicit-seed requests), and the earlier video a job was answered with
    # instead of generating. Video stays one-to-one with the job that produced it; a reusing
    # job points at that video, so the answer carries the existing video_id and no file is
    # copied. Read a job's result through `result_video`.
    reuse_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    reused_from = models.ForeignKey("Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="reused_by")
    # The scoped token that created the job (None for every other door): a scoped token sees
    # only its own jobs, and its job quota counts them.
    api_token = models.ForeignKey(
        "ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="videojob_owner_created"),
            models.Index(fields=["status", "-priority", "created_at"], name="videojob_queue_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="videojob_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def result_video(self) -> Video | None:
        """The video this job produced, or the earlier one it reused (None if neither)."""
        try:
            return self.video
        except Video.DoesNotExist:
            return self.reused_from


class Video(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.OneToOneField(VideoJob, on_delete=models.CASCADE, related_name="video")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(max_length=255)
    poster = models.FileField(max_length=255, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frames = models.PositiveIntegerField()
    fps = models.PositiveSmallIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def duration_seconds(self) -> float:
        return round(self.frames / self.fps, 3) if self.fps else 0.0

    @property
    def duration_label(self) -> str:
        """The length for people: "1.1 s", "6 s" (a 1 s job has fps + 1 frames: 1.125 s)."""
        return f"{self.duration_seconds:.1f}".removesuffix(".0") + " s"


class WorkerHeartbeat(models.Model):
    """One row per live worker process, refreshed while it runs: the system status and the
    reaper read it to tell live workers from dead ones."""

    name = models.CharField(max_length=128, unique=True)
    hostname = models.CharField(max_length=128)
    pid = models.PositiveIntegerField()
    device = models.CharField(max_length=64, blank=True, default="")
    model = models.CharField(max_length=255, blank=True, default="")
    model_loaded = models.BooleanField(default=False)
    model_error = models.TextField(blank=True, default="")
    memory_mode = models.CharField(max_length=32, blank=True, default="")
    current_job = models.UUIDField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)
    pipeline_runs = models.PositiveIntegerField(default=0)
    model_loads = models.PositiveIntegerField(default=0)
    device_slot = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Index in COGVIDEO_DEVICES this worker pinned itself to."
    )
    # Telemetry for the operators' view (monitoring/): filled by every heartbeat from the
    # worker's own process, so the web process can report GPU use without touching CUDA.
    device_name = models.CharField(max_length=128, blank=True, default="")
    model_load_seconds = models.FloatField(null=True, blank=True)
    gpu_memory_allocated_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    gpu_memory_reserved_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    gpu_memory_peak_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    gpu_memory_free_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    gpu_memory_total_bytes = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The first successful answer to a request sent with an Idempotency-Key, replayed to
    retries of the same request (kept at least COGVIDEO_IDEMPOTENCY_HOURS)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=80, help_text="What the key was used for, e.g. generate or cancel:<id>")
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key", "scope"], name="idempotency_unique_key")]


class LoginFailure(models.Model):
    """One failed sign-in on the studio or admin login page, counted per account and per
    client address (one row each) over COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS. Rows in the
    database, so every web process (and host) sees the same counts. The account is kept as a
    digest of the typed name: a password typed into the name box is not stored."""

    ACCOUNT = "account"
    ADDRESS = "address"

    scope = models.CharField(max_length=8, choices=[(ACCOUNT, "account"), (ADDRESS, "address")])
    key = models.CharField(max_length=64, help_text="sha256 of the username, or the client address")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"], name="login_failure_lookup")]

    @staticmethod
    def account_key(username: str) -> str:
        return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


class RateCounter(models.Model):
    """One request counter per subject (a user id) and scope (a key of
    COGVIDEO_THROTTLE_RATES): `hits` in the window that began at `window_started` (Unix
    seconds). Incremented by one atomic upsert (videos/rate_limits.py), so concurrent
    requests on every web process and host count exactly."""

    scope = models.CharField(max_length=32)
    subject = models.CharField(max_length=64)
    window_started = models.FloatField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "subject"], name="rate_counter_unique_subject")]


class TokenKind(models.TextChoices):
    ACCOUNT = "account", "account token"
    SCOPED = "scoped", "scoped browser token"


class TokenAction(models.TextChoices):
    """What a scoped token may do: one API endpoint each (videos/api/views.py `token_action`)."""

    GENERATE = "generate"
    STATUS = "status"
    DOWNLOAD = "download"
    LIST = "list"


class ApiToken(models.Model):
    """A bearer token, stored as a keyed digest (videos/token_rules.py): the token itself is
    shown once, when it is issued, and never stored. `prefix` is its public start, enough to
    tell tokens apart in lists, never enough to use.

    Account tokens act for their user in full (several per user, by name). Scoped tokens
    (`cvs_...`, issued by an account-token holder for a web page) may do only their
    `actions`, from their allowed origins (ScopedTokenOrigin), until `expires_at`, at most
    `rate_per_minute` requests a minute and `job_quota` jobs in all, and see only the jobs
    they created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(max_length=8, choices=TokenKind.choices, default=TokenKind.ACCOUNT)
    name = models.CharField(max_length=64, default="default")
    prefix = models.CharField(max_length=16, help_text="the token's public start")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    actions = models.JSONField(default=list, blank=True)
    rate_per_minute = models.PositiveIntegerField(null=True, blank=True)
    job_quota = models.PositiveIntegerField(null=True, blank=True)
    issued_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="issued_tokens"
    )

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(kind="account", revoked_at__isnull=True),
                name="apitoken_unique_active_account_name",
            )
        ]

    def __str__(self) -> str:
        # What the admin puts in titles, messages and its action log: the prefix only.
        return f"{self.prefix}… ({self.user}, {self.name})"

    @property
    def is_scoped(self) -> bool:
        return self.kind == TokenKind.SCOPED

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired()


class ScopedTokenOrigin(models.Model):
    """An origin (scheme://host[:port]) a scoped token may be used from. A table, not a list
    on the token, so the CORS check finds "does any live token allow this origin" with one
    indexed query (a preflight carries no token)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="allowed_origins")
    origin = models.CharField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "origin"], name="scoped_origin_unique")]

    def __str__(self) -> str:
        return self.origin
