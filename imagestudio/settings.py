"""Image Studio settings: one module, every value from the environment.

A bare checkout runs on embedded defaults (SQLite, a local media folder, Celery on
kombu's filesystem transport, the offline local engine). Production sets
DATABASE_URL, REDIS_URL, an S3 bucket and a SECRET_KEY. Each integration stays off until
its key is set. Odd values raise ImproperlyConfigured instead of being guessed at.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = env(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    raw = env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")
TESTING = envbool("TESTING", "false")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "django_htmx",
    "template_partials",
    "csp",
    "assets",
    "billing",
    "studio",
]

MIDDLEWARE = [
    "imagestudio.security.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "imagestudio.security.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "imagestudio.htmx.VaryOnHtmxMiddleware",
    "imagestudio.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "imagestudio.urls"
WSGI_APPLICATION = "imagestudio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each studio module keeps its page templates beside its code.
        "DIRS": [BASE_DIR / "templates", *sorted((BASE_DIR / "studio").glob("*/templates"))],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "imagestudio.context_processors.studio",
                "studio.context_processors.modules",
                "billing.context_processors.credits",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# Django's renderer, with plain inputs and selects written out in Python (same markup).
FORM_RENDERER = "imagestudio.renderers.WidgetRenderer"

# --------------------------------------------------------------------------- database

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out the
    # short write locks instead of failing with "database is locked". Connections persist
    # (DB_CONN_MAX_AGE) as on PostgreSQL: the last connection to close checkpoints the
    # WAL and deletes it, and the next write recreates it, which cost a page view several
    # milliseconds of disk work when every request opened its own connection.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# --------------------------------------------------------------------------- cache

REDIS_URL = env("REDIS_URL")
CACHE_URL = env("CACHE_URL", REDIS_URL)
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL.startswith("locmem://") or TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must start with redis://, rediss:// or locmem://")
else:
    # Shared between the web process and the worker without any server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Sessions are read from the cache and written through to the database: every page
# reads the session, and a cache hit costs a fraction of the query (a lost cache entry is
# read back from the database).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --------------------------------------------------------------------------- auth

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "studio:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
if ACCOUNT_EMAIL_VERIFICATION not in {"none", "optional", "mandatory"}:
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be none, optional or mandatory")
ACCOUNT_ADAPTER = "imagestudio.adapters.AccountAdapter"
ACCOUNT_SIGNUP_OPEN = envbool("SIGNUP_OPEN", "true")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_LOGIN_BY_CODE_ENABLED = False


# --------------------------------------------------------------------------- i18n / static

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development and tests WhiteNoise serves straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))

# --------------------------------------------------------------------------- storage

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
# The longest any signed link may live (temporary links, presigned bucket URLs), seconds.
SIGNED_URL_MAX_AGE = envint("SIGNED_URL_MAX_AGE", 86400)
if SIGNED_URL_MAX_AGE < 60:
    raise ImproperlyConfigured("SIGNED_URL_MAX_AGE must be at least 60 seconds")
if env("AWS_S3_CUSTOM_DOMAIN"):
    # django-storages cannot sign URLs on a custom domain: private files would get
    # permanent, unsigned links. Files stay on the bucket's own signed URLs.
    raise ImproperlyConfigured(
        "AWS_S3_CUSTOM_DOMAIN is not supported: private files are served by signed URLs"
    )
if AWS_STORAGE_BUCKET_NAME:
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": min(envint("AWS_QUERYSTRING_EXPIRE", 600), SIGNED_URL_MAX_AGE),
            "file_overwrite": False,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
        },
    }
else:
    default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --------------------------------------------------------------------------- uploads

UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 30 * 1024 * 1024)
UPLOAD_MAX_PIXELS = envint("UPLOAD_MAX_PIXELS", 50_000_000)
# The largest image any operation may make, whatever the plan (memory is the limit).
OUTPUT_MAX_PIXELS = envint("OUTPUT_MAX_PIXELS", 100_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Larger images are converted by a job, not in the download request: re-encoding 24 MP
# takes about a second of CPU and a few hundred MB in a web worker, which would stall
# the other requests that worker serves.
EXPORT_SYNC_MAX_PIXELS = envint("EXPORT_SYNC_MAX_PIXELS", 24_000_000)
FILE_UPLOAD_HANDLERS = [
    "imagestudio.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Days an asset stays restorable in the trash before the purge task deletes its files.
TRASH_RETENTION_DAYS = envint("TRASH_RETENTION_DAYS", 30)

# --------------------------------------------------------------------------- email

EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Image Studio <studio@localhost>")

# --------------------------------------------------------------------------- celery

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers an unacknowledged task after this long; it must exceed the hard
    # time limit or a long job would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("JOB_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_TASK_DEFAULT_QUEUE = "interactive"
CELERY_TASK_QUEUES = (Queue("interactive"), Queue("batch"), Queue("maintenance"))
CELERY_TASK_ROUTES = {
    "studio.jobs.tasks.jobs_sweep": {"queue": "maintenance"},
    "assets.tasks.*": {"queue": "maintenance"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connections before and after every task unless
# this is set (then once every CELERY_DB_REUSE_MAX tasks): a new PostgreSQL connection for
# every job costs more than a short job itself. Around each task imagestudio/celery.py
# closes connections that are broken or older than DB_CONN_MAX_AGE instead, as Django does
# around each request.
CELERY_DB_REUSE_MAX = envint("CELERY_DB_REUSE_MAX", 1000)
# A running job beats every JOB_HEARTBEAT_SECONDS while it runs (a side thread in the
# worker); one whose heartbeat is older than JOB_STALE_AFTER was left by a dead worker and
# is recovered by the sweeper, which beat sends every JOB_SWEEP_SECONDS. Recovery of a
# killed job therefore takes at most JOB_STALE_AFTER + JOB_SWEEP_SECONDS (2 minutes).
JOB_HEARTBEAT_SECONDS = envint("JOB_HEARTBEAT_SECONDS", 15)
JOB_STALE_AFTER = timedelta(seconds=envint("JOB_STALE_AFTER", 90))
JOB_SWEEP_SECONDS = envint("JOB_SWEEP_SECONDS", 30)
if JOB_STALE_AFTER.total_seconds() < 3 * JOB_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("JOB_STALE_AFTER must be at least 3 heartbeats long")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-jobs": {
        "task": "studio.jobs.tasks.jobs_sweep",
        "schedule": timedelta(seconds=JOB_SWEEP_SECONDS),
    },
    "batches-tick": {"task": "studio.batch.tasks.batches_tick", "schedule": timedelta(seconds=30)},
    # Deletes assets (and their files) that have been in the trash past the retention.
    "purge-trash": {"task": "assets.tasks.trash_purge_task", "schedule": timedelta(hours=1)},
    # Hourly, so a subscription renews within the hour its period ends; idempotent.
    "grant-monthly-credits": {
        "task": "billing.tasks.grant_monthly_credits",
        "schedule": crontab(minute=7),
        "options": {"queue": "maintenance"},
    },
}

JOB_MAX_ATTEMPTS = envint("JOB_MAX_ATTEMPTS", 3)

# --------------------------------------------------------------------------- providers

PROVIDERS_DEMO = envbool("PROVIDERS_DEMO", "false")

# --------------------------------------------------------------------------- batches

# Rows in flight per provider, shared by every user's batches. Defaults sit under each
# provider's published rate limit (Stability: 150 requests / 10 s; OpenAI images and
# Gemini: tier-1 requests per minute; Hugging Face serverless: a few at a time); the local
# engine is bounded by the worker's CPUs. Override with BATCH_LIMIT_<PROVIDER>=n.
BATCH_PROVIDER_LIMITS = {
    name: envint(f"BATCH_LIMIT_{name.upper()}", default)
    for name, default in {
        "stability": 10,
        "wavespeed": 8,
        "openai": 5,
        "gemini": 8,
        "huggingface": 4,
        "local": 2,
        "default": 4,
    }.items()
}
# Where the provider slots live: Redis when there is one, else a locked file (one machine).
BATCH_LIMITER_URL = env("BATCH_LIMITER_URL", REDIS_URL)
BATCH_LIMITER_FILE = env("BATCH_LIMITER_FILE", str(VAR_DIR / "batch-limits.json"))
BATCH_THROTTLE_SECONDS = envint("BATCH_THROTTLE_SECONDS", 60)  # halved slots after a 429
BATCH_MAX_ROWS = envint("BATCH_MAX_ROWS", 10_000)
BATCH_MAX_CSV_BYTES = envint("BATCH_MAX_CSV_BYTES", 5 * 1024 * 1024)
BATCH_FETCH_MAX_BYTES = envint("BATCH_FETCH_MAX_BYTES", 40 * 1024 * 1024)
BATCH_FETCH_TIMEOUT = envint("BATCH_FETCH_TIMEOUT", 20)
BATCH_FETCH_CONCURRENCY = envint("BATCH_FETCH_CONCURRENCY", 8)
# Tests only: lets the URL fetcher reach a server on 127.0.0.1. Never set in production.
BATCH_FETCH_ALLOW_LOOPBACK = TESTING and envbool("BATCH_FETCH_ALLOW_LOOPBACK", "false")

# --------------------------------------------------------------------------- billing

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")

# --------------------------------------------------------------------------- security

HTTPS_SITE = SITE_URL.startswith("https://")
BEHIND_PROXY = envbool("BEHIND_PROXY", "false")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# Cookies only travel over TLS once the site is served over https (directly or by the proxy).
SESSION_COOKIE_SECURE = not DEBUG and (HTTPS_SITE or BEHIND_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
_https_default = "true" if not DEBUG and HTTPS_SITE else "false"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", _https_default)
# The container's health probe talks plain http to the web process itself.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if _https_default == "true" else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
# Preloading is hard to undo, so it is an explicit choice (and its deploy check is quiet).
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)

# The visitor's address behind a reverse proxy (see imagestudio/security.py): either a
# header the proxy sets to it, or the number of proxies that append to X-Forwarded-For.
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER")
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1 if BEHIND_PROXY else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# Content-Security-Policy: scripts only from our own static files (no inline script, no
# eval); inline style attributes are allowed (progress bars, swatches). Files on an S3
# bucket are shown from the bucket's own origin.
_file_origins: list[str] = []
if AWS_STORAGE_BUCKET_NAME:
    _endpoint = env("AWS_S3_ENDPOINT_URL")
    if _endpoint:
        _scheme, _, _rest = _endpoint.partition("://")
        _file_origins.append(f"{_scheme}://{_rest.split('/', 1)[0]}")
    else:
        _file_origins.append("https://*.amazonaws.com")
_file_origins += envlist("CSP_EXTRA_FILE_ORIGINS")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # WebAssembly only (no eval): the 3D viewer (model-viewer) compiles its decoders.
        "script-src": ["'self'", "'wasm-unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_file_origins],
        "media-src": ["'self'", "blob:", *_file_origins],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": ["/csp-report/"],
    }
}

# Rate limits (django-ratelimit, counted in the cache). "N/P": N attempts per period P.
RATELIMIT_USE_CACHE = "default"
SHARE_PASSWORD_RATE_CLIENT = env("SHARE_PASSWORD_RATE_CLIENT", "5/5m")
SHARE_PASSWORD_RATE_BOARD = env("SHARE_PASSWORD_RATE_BOARD", "30/h")
SHARE_PASSWORD_RATE_CLIENT_ALL = env("SHARE_PASSWORD_RATE_CLIENT_ALL", "20/5m")
ADMIN_LOGIN_RATE_CLIENT = env("ADMIN_LOGIN_RATE_CLIENT", "10/5m")
ADMIN_LOGIN_RATE_ACCOUNT = env("ADMIN_LOGIN_RATE_ACCOUNT", "5/5m")

# /health/ answers liveness to anyone; the deep check needs this token (or a staff login).
HEALTH_TOKEN = env("HEALTH_TOKEN")
HEALTH_CACHE_SECONDS = envint("HEALTH_CACHE_SECONDS", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(client)s] %(message)s"}
    },
    "filters": {"client": {"()": "imagestudio.security.ClientAddressFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
