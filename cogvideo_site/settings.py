"""Settings, all from the environment (see the configuration table in README.md).

Embedded defaults: SQLite in WAL mode and the django-q2 ORM broker, everything under
COGVIDEO_DATA_DIR. DATABASE_URL switches to PostgreSQL, REDIS_URL to the Redis broker.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("COGVIDEO_DATA_DIR") or BASE_DIR / "data").resolve()
if not DATA_DIR.exists():
    # Owner-only: the folder holds the database, the secret key and the admin credentials.
    DATA_DIR.mkdir(parents=True, mode=0o700)


def _load_or_create_secret_key() -> str:
    given = os.environ.get("DJANGO_SECRET_KEY") or os.environ.get("COGVIDEO_SECRET_KEY")
    if given:
        return given
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Created owner-only: the key signs sessions and must not be readable by other users.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _load_or_create_secret_key()
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

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "cogvideo.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while a worker writes progress; IMMEDIATE
                # transactions take the write lock up front so concurrent writers wait
                # (busy timeout) instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
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
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("COGVIDEO_MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "media/"
# Videos go through Django's storage API: the local/shared filesystem by default, or any
# django-storages backend (e.g. "storages.backends.s3.S3Storage" with its options as JSON).
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("COGVIDEO_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("COGVIDEO_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files are served from the app folders directly, so no collectstatic step is
# needed to start the service.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_PERMISSIONS = 0o640

LOGIN_URL = "/admin/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "videos.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["videos.api.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "videos.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "videos.api.throttling.BurstThrottle",
        "videos.api.throttling.SustainedThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Per token (per user) request rates: "N/second|minute|hour|day". Generating has its own,
# stricter scope on top; the queue caps below bound how much GPU work one user can queue.
COGVIDEO_THROTTLE_RATES = {
    "burst": os.environ.get("COGVIDEO_THROTTLE_BURST", "300/minute"),
    "sustained": os.environ.get("COGVIDEO_THROTTLE_SUSTAINED", "50000/day"),
    "generate": os.environ.get("COGVIDEO_THROTTLE_GENERATE", "60/minute"),
}
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
    ],
}

# Browser clients on other origins (CMS front ends): off unless origins are listed.
CORS_ALLOWED_ORIGINS = env_list("COGVIDEO_CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "x-csrftoken", "x-requested-with"]
CORS_EXPOSE_HEADERS = ["Retry-After", "Content-Range", "Accept-Ranges", "Content-Length"]

if REDIS_URL_FOR_CACHE := os.environ.get("REDIS_URL", ""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL_FOR_CACHE,
            "KEY_PREFIX": os.environ.get("COGVIDEO_QUEUE_NAME", "cogvideo"),
        }
    }
else:
    # Shared by every process on this host (gunicorn workers), unlike the local-memory cache:
    # throttling counts a token's requests across all of them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
# Largest accepted request body; bigger ones get 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("COGVIDEO_MAX_BODY_BYTES", 64 * 1024)

# --- Generation -------------------------------------------------------------------------
COGVIDEOX_MODEL = os.environ.get("COGVIDEOX_MODEL", "THUDM/CogVideoX-2b")
COGVIDEOX_MODEL_REVISION = os.environ.get("COGVIDEOX_MODEL_REVISION", "") or None
COGVIDEO_DEVICE = os.environ.get("COGVIDEO_DEVICE", "auto")
# One worker per GPU: each worker process pins itself to the first free entry of this list
# (e.g. "cuda:0,cuda:1"); empty means every worker uses COGVIDEO_DEVICE.
COGVIDEO_DEVICES = env_list("COGVIDEO_DEVICES", [])
COGVIDEO_MEMORY_MODE = os.environ.get("COGVIDEO_MEMORY_MODE", "auto")
COGVIDEO_ALLOW_DOWNLOAD = env_bool("COGVIDEO_ALLOW_DOWNLOAD", True)
COGVIDEO_PRELOAD_MODEL = env_bool("COGVIDEO_PRELOAD_MODEL", True)
COGVIDEO_VAE_TILING = env_bool("COGVIDEO_VAE_TILING", True)
COGVIDEO_PUBLIC_URL = os.environ.get("COGVIDEO_PUBLIC_URL", "").rstrip("/")
# Behind nginx: downloads answer with X-Accel-Redirect to this internal location + file name.
COGVIDEO_X_ACCEL_PREFIX = os.environ.get("COGVIDEO_X_ACCEL_PREFIX", "")
COGVIDEO_MAX_ATTEMPTS = env_int("COGVIDEO_MAX_ATTEMPTS", 2)
COGVIDEO_HEARTBEAT_SECONDS = env_int("COGVIDEO_HEARTBEAT_SECONDS", 5)
COGVIDEO_STALE_AFTER_SECONDS = env_int("COGVIDEO_STALE_AFTER_SECONDS", 60)
COGVIDEO_MAX_QUEUED_PER_USER = env_int("COGVIDEO_MAX_QUEUED_PER_USER", 50)
COGVIDEO_MAX_QUEUED_TOTAL = env_int("COGVIDEO_MAX_QUEUED_TOTAL", 1000)
# Outbound requests to URLs from outside (callback_url, image_url) go through videos/egress.py,
# which refuses non-public addresses unless allowed here: all of them, or these networks.
COGVIDEO_ALLOW_PRIVATE_CALLBACKS = env_bool("COGVIDEO_ALLOW_PRIVATE_CALLBACKS", False)
COGVIDEO_EGRESS_ALLOWED_NETWORKS = env_list("COGVIDEO_EGRESS_ALLOWED_NETWORKS", [])
COGVIDEO_IDEMPOTENCY_HOURS = env_int("COGVIDEO_IDEMPOTENCY_HOURS", 24)
# Seconds between webhook delivery attempts (cms_integration/webhooks.py); one more attempt
# than entries.
COGVIDEO_WEBHOOK_BACKOFF = (5, 30, 120, 600, 1800, 7200)
# Speed levers (videos/generation/acceleration.py): a diffusers cache method (off, pab,
# fastercache, firstblock), torch.compile of the transformer (warmed up on worker start), and
# torchao int8 weight-only quantization (none, int8wo) for small GPUs.
COGVIDEO_CACHE_METHOD = os.environ.get("COGVIDEO_CACHE_METHOD", "off").strip().lower()
COGVIDEO_COMPILE = env_bool("COGVIDEO_COMPILE", False)
COGVIDEO_QUANTIZE = os.environ.get("COGVIDEO_QUANTIZE", "none").strip().lower()

# --- Queue (django-q2) ---------------------------------------------------------------------
# One worker per GPU. A job can run for many minutes: the timeout covers the longest job,
# and `retry` (when the ORM broker re-delivers an unacknowledged task) sits well above it so
# a running job is never handed to a second worker. The job row, not django-q2, decides
# retries (see videos/services/recovery.py), so django-q2 itself never re-runs a task.
COGVIDEO_JOB_TIMEOUT = env_int("COGVIDEO_JOB_TIMEOUT", 3600)
COGVIDEO_WORKERS = env_int("COGVIDEO_WORKERS", 1)
Q_CLUSTER = {
    "name": os.environ.get("COGVIDEO_QUEUE_NAME", "cogvideo"),
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
COGVIDEO_EVENTS_QUEUE = f"{Q_CLUSTER['name']}-events"
Q_CLUSTER["ALT_CLUSTERS"] = {
    COGVIDEO_EVENTS_QUEUE: {"workers": 2, "timeout": 120, "retry": 300, "queue_limit": 4, "recycle": 500}
}
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOG_LEVEL = os.environ.get("COGVIDEO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django_q": {"level": os.environ.get("COGVIDEO_QUEUE_LOG_LEVEL", "WARNING")},
        "httpx": {"level": "WARNING"},
    },
}

# --- Monitoring (monitoring/; README "Monitoring", docs/MONITORING.md) ---------------------------
COGVIDEO_LOG_FORMAT = os.environ.get("COGVIDEO_LOG_FORMAT", "plain").strip().lower() or "plain"
if COGVIDEO_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"COGVIDEO_LOG_FORMAT must be 'plain' or 'json', not {COGVIDEO_LOG_FORMAT!r}")
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"COGVIDEO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")
LOGGING["formatters"]["json"] = {"()": "monitoring.logs.JsonFormatter"}
LOGGING.setdefault("filters", {})["redact_secrets"] = {"()": "monitoring.logs.RedactSecrets"}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("redact_secrets")
LOGGING["handlers"]["console"]["formatter"] = COGVIDEO_LOG_FORMAT
# /metrics access: a bearer token and/or client addresses (see monitoring/access.py).
COGVIDEO_METRICS_TOKEN = os.environ.get("COGVIDEO_METRICS_TOKEN", "").strip()
COGVIDEO_METRICS_ALLOWED_IPS = env_list("COGVIDEO_METRICS_ALLOWED_IPS", [])
# prometheus-client's multiprocess mode: each web process writes its HTTP counters here and a
# scrape sums them. Set before prometheus_client is first imported (it reads it at import);
# always derived from this service's own data folder, never inherited from a parent process.
COGVIDEO_METRICS_DIR = Path(os.environ.get("COGVIDEO_METRICS_DIR") or DATA_DIR / "metrics")
COGVIDEO_METRICS_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(COGVIDEO_METRICS_DIR)
