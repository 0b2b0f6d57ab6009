"""Settings, all from the environment (see the configuration table in README.md).

Embedded defaults: SQLite in WAL mode and the django-q2 ORM broker, everything under
COGVIDEO_DATA_DIR. DATABASE_URL switches to PostgreSQL, REDIS_URL to the Redis broker.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from . import data_folder
from .env import env_bool, env_choice, env_int, env_list, env_str
from .launcher import DEFAULT_QUEUE_NAME, events_queue_name, model_queue_name

BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(env_str("COGVIDEO_DATA_DIR") or BASE_DIR / "data").resolve()
MEDIA_ROOT = Path(env_str("COGVIDEO_MEDIA_ROOT") or DATA_DIR / "media")
# Media in an object store (see STORAGES below): then no host has a media folder.
COGVIDEO_S3_BUCKET = env_str("COGVIDEO_S3_BUCKET")
STATIC_ROOT = DATA_DIR / "static"
COGVIDEO_METRICS_DIR = Path(env_str("COGVIDEO_METRICS_DIR") or DATA_DIR / "metrics")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
COGVIDEO_QUEUE_NAME = env_str("COGVIDEO_QUEUE_NAME", DEFAULT_QUEUE_NAME)
SQLITE_DATABASE = None if DATABASE_URL else DATA_DIR / "cogvideo.sqlite3"
# Before any file is opened in it: owner-only folder, database, key (see data_folder.py).
data_folder.prepare(
    DATA_DIR,
    sqlite_database=SQLITE_DATABASE,
    folders=[STATIC_ROOT, COGVIDEO_METRICS_DIR]
    + ([MEDIA_ROOT] if MEDIA_ROOT.is_relative_to(DATA_DIR) and not COGVIDEO_S3_BUCKET else []),
)

SECRET_KEY = data_folder.secret_key(DATA_DIR, env_str("COGVIDEO_SECRET_KEY"))
# API tokens are stored as HMAC-SHA256 digests under this key (videos/token_rules.py); changing
# it (or the secret key it defaults to) makes every issued token invalid.
COGVIDEO_TOKEN_HASH_KEY = env_str("COGVIDEO_TOKEN_HASH_KEY") or SECRET_KEY
# Scoped browser tokens (POST /api/tokens/scoped) must expire, at most this many hours out.
COGVIDEO_SCOPED_TOKEN_MAX_HOURS = env_int("COGVIDEO_SCOPED_TOKEN_MAX_HOURS", 7 * 24)
DEBUG = env_bool("COGVIDEO_DEBUG", False)
ALLOWED_HOSTS = env_list("COGVIDEO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("COGVIDEO_CSRF_TRUSTED_ORIGINS", [])

# Behind TLS (nginx terminating HTTPS, see docs/DEPLOY.md): secure cookies, HSTS, redirects.
if env_bool("COGVIDEO_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("COGVIDEO_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("COGVIDEO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /api/health stays plain HTTP for load balancers probing the node directly.
    SECURE_REDIRECT_EXEMPT = [r"^api/health"]

INSTALLED_APPS = [
    "videos.admin_site.StudioAdminConfig",  # django.contrib.admin with editor sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "videos",
    "cms_integration",
    "monitoring",
]

MIDDLEWARE = [
    "monitoring.middleware.RequestMetricsMiddleware",  # outermost: times and logs every request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "videos.api.middleware.ApiGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cogvideo_site.urls"
WSGI_APPLICATION = "cogvideo_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_DATABASE,
            "OPTIONS": {
                # WAL lets the web server read while a worker writes progress; IMMEDIATE
                # transactions take the write lock up front so concurrent writers wait
                # (busy timeout) instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # Kept open: SQLite deletes the -wal and -shm files when its last connection closes,
            # and a new connection must create them again, which fails on a full disk ("disk
            # I/O error" on every request). While any connection stays open they stay, so
            # reads keep answering when the disk fills up.
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "media/"
# Videos, posters, previews and image-to-video inputs go through Django's storage API: the
# local (or shared) filesystem by default; with COGVIDEO_S3_BUCKET an S3-compatible object
# store (videos/object_storage.py, django-storages' S3 backend), so web and GPU hosts share no
# disk; or any other Django storage class with its options as JSON.
COGVIDEO_S3_ENDPOINT_URL = env_str("COGVIDEO_S3_ENDPOINT_URL")  # empty: AWS
COGVIDEO_STORAGE_BACKEND = env_str("COGVIDEO_STORAGE_BACKEND")
if COGVIDEO_S3_BUCKET and COGVIDEO_STORAGE_BACKEND:
    raise ImproperlyConfigured("Set COGVIDEO_S3_BUCKET or COGVIDEO_STORAGE_BACKEND, not both")
if COGVIDEO_S3_BUCKET:
    _media_storage = {
        "BACKEND": "videos.object_storage.ObjectStorage",
        "OPTIONS": {
            "bucket_name": COGVIDEO_S3_BUCKET,
            "location": env_str("COGVIDEO_S3_PREFIX").strip("/"),
            "endpoint_url": COGVIDEO_S3_ENDPOINT_URL or None,
            "region_name": env_str("COGVIDEO_S3_REGION", "us-east-1"),
            # Empty: boto3's own chain (AWS_* variables, ~/.aws, an instance role).
            "access_key": env_str("COGVIDEO_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("COGVIDEO_S3_SECRET_ACCESS_KEY") or None,
            # Path style for a store at an address of its own (SeaweedFS, MinIO, Ceph), virtual
            # hosts for AWS.
            "addressing_style": env_choice(
                "COGVIDEO_S3_ADDRESSING_STYLE", "path" if COGVIDEO_S3_ENDPOINT_URL else "virtual", ("path", "virtual")
            ),
            # Presigned download redirects (COGVIDEO_DOWNLOAD_MODE=redirect) are signed for this
            # address: the one clients reach the store at, when the workers' endpoint is internal.
            "public_endpoint_url": env_str("COGVIDEO_S3_PUBLIC_ENDPOINT_URL") or None,
            "querystring_expire": env_int("COGVIDEO_S3_URL_SECONDS", 300, minimum=1),
        },
    }
else:
    _media_storage = {
        "BACKEND": COGVIDEO_STORAGE_BACKEND or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": json.loads(env_str("COGVIDEO_STORAGE_OPTIONS", "{}")),
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Downloads from an object store: "stream" (the web process reads the object, Range passed
# through, and sends it: the store need not be reachable by clients) or "redirect" (302 to a
# presigned URL valid COGVIDEO_S3_URL_SECONDS: the bytes go from the store to the client).
# Local files are always sent by the web process (or nginx, COGVIDEO_X_ACCEL_PREFIX).
COGVIDEO_DOWNLOAD_MODE = env_choice("COGVIDEO_DOWNLOAD_MODE", "stream", ("stream", "redirect"))
# The JavaScript client (clients/js, an npm package of its own) is served at its old URLs,
# /static/cms_integration/video-generator.js (the ES module, as written) and
# video-generator.global.js (built into clients/js/dist by clients/js/build.py, which
# launch.py runs before starting; dist/ is not in git). Listing the package's own folders
# here, rather than copying files into an app's static folder, keeps one copy of each file.
JS_CLIENT_DIR = BASE_DIR / "clients" / "js"
STATICFILES_DIRS = [
    ("cms_integration", JS_CLIENT_DIR / "src"),
    ("cms_integration", JS_CLIENT_DIR / "dist"),
]
# Static files are served from the app folders directly, so no collectstatic step is
# needed to start the service.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Owner-only by default; behind nginx (X-Accel-Redirect) give its group read access, e.g. 640.
FILE_UPLOAD_PERMISSIONS = int(env_str("COGVIDEO_MEDIA_FILE_MODE", "600"), 8)
# Folders get the search bit wherever the file mode gives read access.
FILE_UPLOAD_DIRECTORY_PERMISSIONS = FILE_UPLOAD_PERMISSIONS | 0o700 | ((FILE_UPLOAD_PERMISSIONS & 0o044) >> 2)

LOGIN_URL = "/admin/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "videos.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "videos.api.permissions.ScopedTokenRules",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["videos.api.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "videos.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "videos.api.throttling.BurstThrottle",
        "videos.api.throttling.SustainedThrottle",
        "videos.api.throttling.ScopedTokenThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Per token (per user) request rates: "N/second|minute|hour|day". Generating has its own,
# stricter scope on top; the queue caps below bound how much GPU work one user can queue.
COGVIDEO_THROTTLE_RATES = {
    "burst": env_str("COGVIDEO_THROTTLE_BURST", "300/minute"),
    "sustained": env_str("COGVIDEO_THROTTLE_SUSTAINED", "50000/day"),
    "generate": env_str("COGVIDEO_THROTTLE_GENERATE", "60/minute"),
}
# Failed sign-ins on the studio and admin login pages, counted in the database (so across
# every web process) over a sliding window: at this many, the account (or the client address)
# is refused until enough failures are older than the window; 0 turns a limit off.
# `manage.py unlock_logins` clears them.
COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT = env_int("COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT", 10)
COGVIDEO_LOGIN_FAILURES_PER_ADDRESS = env_int("COGVIDEO_LOGIN_FAILURES_PER_ADDRESS", 30)
COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS = env_int("COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# Behind a reverse proxy every client is the proxy's address: with this on, the client address
# is the last X-Forwarded-For entry (the one nginx's $proxy_add_x_forwarded_for appends).
# Only behind a proxy that sets it: otherwise clients could pick their own address.
COGVIDEO_TRUST_X_FORWARDED_FOR = env_bool("COGVIDEO_TRUST_X_FORWARDED_FOR", False)
# The reverse proxies whose X-Forwarded-For /metrics' address allow-list honours (with the
# setting above on); a forwarded request from anywhere else has no trustworthy address.
COGVIDEO_TRUSTED_PROXIES = env_list("COGVIDEO_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
SPECTACULAR_SETTINGS = {
    "TITLE": "CogVideoX Studio API",
    "DESCRIPTION": "Self-hosted text-to-video jobs on CogVideoX. Auth: `Authorization: Bearer <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api",
    "PREPROCESSING_HOOKS": ["videos.api.schema.only_public_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "videos.api.schema.document_common_errors",
        "videos.api.schema.close_request_bodies",
    ],
}

# Browser clients on other origins (CMS front ends): off unless origins are listed. The
# origins of live scoped tokens are allowed as well (videos/api/cors.py), for /api/ only.
CORS_ALLOWED_ORIGINS = env_list("COGVIDEO_CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "x-csrftoken", "x-requested-with"]
CORS_EXPOSE_HEADERS = ["Retry-After", "Content-Range", "Accept-Ranges", "Content-Length"]

if REDIS_URL_FOR_CACHE := os.environ.get("REDIS_URL", ""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL_FOR_CACHE,
            "KEY_PREFIX": COGVIDEO_QUEUE_NAME,
        }
    }
else:
    # Nothing shared lives in the cache (request counters are rows: videos/rate_limits.py), and
    # nothing in the data folder: a full disk must not break every request.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Largest accepted request body; bigger ones get 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("COGVIDEO_MAX_BODY_BYTES", 64 * 1024)

# --- Generation -------------------------------------------------------------------------
COGVIDEO_MODEL = env_str("COGVIDEO_MODEL", "THUDM/CogVideoX-2b")
COGVIDEO_MODEL_REVISION = env_str("COGVIDEO_MODEL_REVISION") or None
# The models this installation's workers serve (several at once: text-to-video and
# image-to-video); COGVIDEO_MODEL is the default a request without `model` gets. Each served
# model has its own GPU queue and worker cluster (COGVIDEO_MODEL_QUEUES; launch.py starts
# one per model); a request for a model not listed here is refused with a 400.
# Empty: COGVIDEO_MODEL alone.
COGVIDEO_WORKER_MODELS = list(dict.fromkeys(env_list("COGVIDEO_WORKER_MODELS", [])))
# Which checkpoint family's rules (sizes, frames, fps) apply when the folder name does not
# say it (videos/generation/profiles.py); empty: guessed from COGVIDEO_MODEL.
COGVIDEO_PROFILE = env_str("COGVIDEO_PROFILE").lower()
COGVIDEO_DEVICE = env_str("COGVIDEO_DEVICE", "auto")
# One worker per GPU: each worker process pins itself to the first free entry of this list
# (e.g. "cuda:0,cuda:1"); empty means every worker uses COGVIDEO_DEVICE.
COGVIDEO_DEVICES = env_list("COGVIDEO_DEVICES", [])
# The name this machine's workers record in their heartbeats and claims ("host:pid"). A worker
# that starts requeues at once the jobs of dead processes recorded under its own host name
# (their pids are checked on this machine), so it must be unique per machine; set it where the
# system's host name is not (containers that share one, or that get a new one on each start).
COGVIDEO_HOSTNAME = env_str("COGVIDEO_HOSTNAME") or socket.gethostname()
COGVIDEO_MEMORY_MODE = env_str("COGVIDEO_MEMORY_MODE", "auto")
COGVIDEO_ALLOW_DOWNLOAD = env_bool("COGVIDEO_ALLOW_DOWNLOAD", True)
COGVIDEO_PRELOAD_MODEL = env_bool("COGVIDEO_PRELOAD_MODEL", True)
COGVIDEO_VAE_TILING = env_bool("COGVIDEO_VAE_TILING", True)
# A small preview of the latents every COGVIDEO_LIVE_PREVIEW_SECONDS of denoising (the studio
# shows it while the job runs): videos/generation/live_preview.py.
COGVIDEO_LIVE_PREVIEWS = env_bool("COGVIDEO_LIVE_PREVIEWS", True)
# How rates above the native one are made (videos/generation/encoding.py): "mci" (motion-
# compensated, the better picture) or "blend" (cross-fade, about 8x cheaper on CPU).
COGVIDEO_INTERPOLATION = env_choice("COGVIDEO_INTERPOLATION", "mci", ("mci", "blend"))
COGVIDEO_PUBLIC_URL = env_str("COGVIDEO_PUBLIC_URL", "").rstrip("/")
# Behind nginx: downloads answer with X-Accel-Redirect to this internal location + file name.
COGVIDEO_X_ACCEL_PREFIX = env_str("COGVIDEO_X_ACCEL_PREFIX", "")
COGVIDEO_MAX_ATTEMPTS = env_int("COGVIDEO_MAX_ATTEMPTS", 2)
COGVIDEO_HEARTBEAT_SECONDS = env_int("COGVIDEO_HEARTBEAT_SECONDS", 5)
COGVIDEO_STALE_AFTER_SECONDS = env_int("COGVIDEO_STALE_AFTER_SECONDS", 60)
COGVIDEO_MAX_QUEUED_PER_USER = env_int("COGVIDEO_MAX_QUEUED_PER_USER", 50)
COGVIDEO_MAX_QUEUED_TOTAL = env_int("COGVIDEO_MAX_QUEUED_TOTAL", 1000)
# New jobs are refused (503 storage_full) while the media or data folder has less free space.
COGVIDEO_MIN_FREE_DISK_MB = env_int("COGVIDEO_MIN_FREE_DISK_MB", 100, minimum=0)
# Fair share at equal priority (videos/fair_share.py): an owner's load is their jobs running
# now or started in this many seconds; the owner with the least load runs next.
COGVIDEO_FAIR_SHARE_WINDOW_SECONDS = env_int("COGVIDEO_FAIR_SHARE_WINDOW_SECONDS", 600, minimum=1)
# With several workers: at most this many running jobs per user (0: no cap).
COGVIDEO_MAX_RUNNING_PER_USER = env_int("COGVIDEO_MAX_RUNNING_PER_USER", 0, minimum=0)
# Outbound requests to URLs from outside (callback_url, image_url) go through videos/egress.py,
# which refuses non-public addresses unless allowed here: all of them, or these networks.
COGVIDEO_ALLOW_PRIVATE_CALLBACKS = env_bool("COGVIDEO_ALLOW_PRIVATE_CALLBACKS", False)
COGVIDEO_EGRESS_ALLOWED_NETWORKS = env_list("COGVIDEO_EGRESS_ALLOWED_NETWORKS", [])
COGVIDEO_IDEMPOTENCY_HOURS = env_int("COGVIDEO_IDEMPOTENCY_HOURS", 24)
# Image-to-video inputs (`image` data URL or `image_url`): at most these many bytes and pixels
# (a decompression bomb is refused from its header, before it is decoded), at least
# COGVIDEO_MIN_IMAGE_SIDE pixels a side; image_url gets COGVIDEO_IMAGE_FETCH_SECONDS in all.
COGVIDEO_MAX_IMAGE_BYTES = env_int("COGVIDEO_MAX_IMAGE_BYTES", 20 * 1024 * 1024, minimum=1)
COGVIDEO_MAX_IMAGE_PIXELS = env_int("COGVIDEO_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
COGVIDEO_MIN_IMAGE_SIDE = env_int("COGVIDEO_MIN_IMAGE_SIDE", 16, minimum=1)
COGVIDEO_IMAGE_FETCH_SECONDS = env_int("COGVIDEO_IMAGE_FETCH_SECONDS", 20, minimum=1)
# POST /api/generate may carry an image as a base64 data URL: its body may be that much larger
# than COGVIDEO_MAX_BODY_BYTES (every other request keeps that limit).
COGVIDEO_MAX_GENERATE_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE + -(-COGVIDEO_MAX_IMAGE_BYTES * 4 // 3) + 256
# Seconds between webhook delivery attempts (cms_integration/webhooks.py); one more attempt
# than entries.
COGVIDEO_WEBHOOK_BACKOFF = (5, 30, 120, 600, 1800, 7200)
# Speed levers (videos/generation/acceleration.py): a diffusers cache method (off, pab,
# fastercache, firstblock), torch.compile of the transformer (warmed up on worker start), and
# torchao int8 weight-only quantization (none, int8wo) for small GPUs.
COGVIDEO_CACHE_METHOD = env_str("COGVIDEO_CACHE_METHOD", "off").lower()
COGVIDEO_COMPILE = env_bool("COGVIDEO_COMPILE", False)
COGVIDEO_QUANTIZE = env_str("COGVIDEO_QUANTIZE", "none").lower()

# --- Processes (launch.py, cogvideo_site/launcher.py) -------------------------------------
COGVIDEO_PORT = env_int("COGVIDEO_PORT", 7860, minimum=1)
COGVIDEO_WEB_WORKERS = env_int("COGVIDEO_WEB_WORKERS", 2, minimum=1)
# launch.py restarts a child that dies (backoff 1, 2, 4 ... 30 s) unless it died more than
# this many times within the window: then it stays down (a crash loop does not heal).
COGVIDEO_RESTART_LIMIT = env_int("COGVIDEO_RESTART_LIMIT", 5, minimum=0)
COGVIDEO_RESTART_WINDOW_SECONDS = env_int("COGVIDEO_RESTART_WINDOW_SECONDS", 600, minimum=1)

# --- Queue (django-q2) ---------------------------------------------------------------------
# One worker per GPU. A job can run for many minutes: the timeout covers the longest job,
# and `retry` (when the ORM broker re-delivers an unacknowledged task) sits well above it so
# a running job is never handed to a second worker. The job row, not django-q2, decides
# retries (see videos/services/recovery.py), so django-q2 itself never re-runs a task.
COGVIDEO_JOB_TIMEOUT = env_int("COGVIDEO_JOB_TIMEOUT", 3600)
COGVIDEO_WORKERS = env_int("COGVIDEO_WORKERS", 1)
Q_CLUSTER = {
    "name": COGVIDEO_QUEUE_NAME,
    "workers": COGVIDEO_WORKERS,
    "timeout": COGVIDEO_JOB_TIMEOUT,
    "retry": COGVIDEO_JOB_TIMEOUT * 2 + 60,
    "max_attempts": 1,
    "queue_limit": COGVIDEO_WORKERS,
    "bulk": 1,
    "recycle": 100000,
    "save_limit": 1000,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.1,
    "label": "Job queue",
}
# Webhook deliveries and other short events run in a second, light cluster on their own
# queue (`Q_CLUSTER_NAME=<name>-events manage.py qcluster`; launch.py starts it), so a
# completion webhook never waits behind queued GPU jobs.
COGVIDEO_EVENTS_QUEUE = events_queue_name(COGVIDEO_QUEUE_NAME)
# Served model -> its GPU queue (the default model's is COGVIDEO_QUEUE_NAME). A wake-up for a
# job goes to its model's queue, so only that model's workers see it.
COGVIDEO_MODEL_QUEUES = {
    model: model_queue_name(COGVIDEO_QUEUE_NAME, model, COGVIDEO_MODEL)
    for model in COGVIDEO_WORKER_MODELS or [COGVIDEO_MODEL]
}
Q_CLUSTER["ALT_CLUSTERS"] = {
    COGVIDEO_EVENTS_QUEUE: {"workers": 2, "timeout": 120, "retry": 300, "queue_limit": 4, "recycle": 500}
}
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOG_LEVEL = env_str("COGVIDEO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django_q": {"level": env_str("COGVIDEO_QUEUE_LOG_LEVEL", "WARNING")},
        "httpx": {"level": "WARNING"},
    },
}

# --- Monitoring (monitoring/; README "Monitoring", docs/MONITORING.md) ---------------------------
COGVIDEO_LOG_FORMAT = env_choice("COGVIDEO_LOG_FORMAT", "plain", ("plain", "json"))
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"COGVIDEO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")
LOGGING["formatters"]["json"] = {"()": "monitoring.logs.JsonFormatter"}
LOGGING.setdefault("filters", {})["redact_secrets"] = {"()": "monitoring.logs.RedactSecrets"}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("redact_secrets")
LOGGING["handlers"]["console"]["formatter"] = COGVIDEO_LOG_FORMAT
# /metrics access: a bearer token and/or client addresses (see monitoring/access.py).
COGVIDEO_METRICS_TOKEN = env_str("COGVIDEO_METRICS_TOKEN")
COGVIDEO_METRICS_ALLOWED_IPS = env_list("COGVIDEO_METRICS_ALLOWED_IPS", [])
# prometheus-client's multiprocess mode: each web process writes its HTTP counters here and a
# scrape sums them. Set before prometheus_client is first imported (it reads it at import);
# always derived from this service's own data folder, never inherited from a parent process.
# (COGVIDEO_METRICS_DIR is declared at the top, with the other folders.)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(COGVIDEO_METRICS_DIR)
