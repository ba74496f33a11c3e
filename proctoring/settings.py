"""Settings of the proctoring service, all read from the environment (docs/configuration.md)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from proctoring.core.ids import COURSE_ID_MAX_LENGTH, COURSE_ID_PATTERN
from proctoring.env import env_bool, env_int, env_json_object, env_list, env_str

# Lets generic classes such as ModelAdmin[Exam] be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("PROCTORING_DATA_DIR", str(BASE_DIR / "var"))).resolve()


def _secret_key() -> str:
    """The SECRET_KEY variable, or a key generated once and kept in the data folder."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The web UI's pages answer a failed check with a page; the rest as the API does.
CSRF_FAILURE_VIEW = "proctoring.web.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "proctoring.core",
    "proctoring.courses",
    "proctoring.exams",
    "proctoring.attempts",
    "proctoring.allowances",
    "proctoring.access",
    "proctoring.credit",
    "proctoring.accounts",
    "proctoring.reviews",
    "proctoring.rest",
    "proctoring.outbox",
    "proctoring.providers",
    "proctoring.browser",
    "proctoring.lti",
    "proctoring.ops",
    "proctoring.devtools",
    "proctoring.web",
    "django_htmx",
    "django_prometheus",
]

MIDDLEWARE = [
    # Off unless PROCTORING_QUERY_COUNT_HEADER is true: then X-Query-Count (benchmarks).
    "proctoring.core.middleware.QueryCountHeaderMiddleware",
    # Request ids, one log line per request (docs/operations.md#logs).
    "proctoring.ops.logs.RequestLogMiddleware",
    # Request latency histograms per route (docs/operations.md#metrics): Before first, After last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Every error answer in the API's shape; a database outage a 503 (proctoring.rest).
    "proctoring.rest.django_errors.ErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's, Swagger UI's) straight from the packages: no web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The web UI (proctoring.web): htmx request details, and its Content-Security-Policy.
    "django_htmx.middleware.HtmxMiddleware",
    "proctoring.web.csp.ContentSecurityPolicyMiddleware",
    "proctoring.jobs.InProcessJobsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "proctoring.urls"
WSGI_APPLICATION = "proctoring.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # A deployment overrides any template (status emails included) from these folders.
        "DIRS": env_list("PROCTORING_TEMPLATE_DIRS", []),
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


def _database(url: str) -> dict[str, Any]:
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock at BEGIN, so two writers never both read
        # the old status of an attempt; WAL lets readers go on while one writes.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        if config["NAME"] != ":memory:":
            # Tests run on a file so that threads of a concurrency test share one database.
            config["TEST"] = {"NAME": str(Path(config["NAME"]).with_suffix(".test.sqlite3"))}
    elif engine == "django.db.backends.postgresql":
        # Parameters bound by the server, and a statement run this many times on a connection
        # prepared there (planned once): the hot reads' planning costs more than their run.
        # 0 prepares nothing (behind a pooler in transaction mode, e.g. PgBouncer < 1.21).
        threshold = env_int("PROCTORING_DB_PREPARE_THRESHOLD", 5, minimum=0)
        config.setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=threshold or None
        )
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL must point to SQLite or PostgreSQL, got engine {engine!r}"
        )
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
if DATABASE_URL.startswith("sqlite:///") and not DATABASE_URL.endswith(":memory:"):
    Path(DATABASE_URL.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The web UI's sign-in (docs/web.md); the admin and the browsable API keep their own.
LOGIN_URL = "web:signin"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
# Origins (https://lms.example.org) whose pages may frame the embeddable timer (docs/web.md).
PROCTORING_EMBED_ORIGINS = env_list("PROCTORING_EMBED_ORIGINS", [])
# How often a learner's open exam page asks the server for its clock, in seconds.
PROCTORING_WEB_POLL_SECONDS = env_int("PROCTORING_WEB_POLL_SECONDS", 10, minimum=1)
STATIC_ROOT = DATA_DIR / "static"  # for `proctoring collectstatic`, if a web server serves it
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve from the installed apps, without collectstatic
WHITENOISE_AUTOREFRESH = DEBUG

# Email: Django's framework; the console backend prints messages until SMTP is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "proctoring@localhost")
PROCTORING_PLATFORM_NAME = env_str("PROCTORING_PLATFORM_NAME", "Proctoring")

# Proctoring: global settings (PROCTORING_SETTINGS) and per-provider settings
# (PROCTORING_BACKENDS, a JSON object {provider name: {setting: value}} plus "DEFAULT").
PROCTORING_SETTINGS: dict[str, Any] = env_json_object("PROCTORING_SETTINGS", {})
PROCTORING_BACKENDS: dict[str, Any] = env_json_object(
    "PROCTORING_BACKENDS", {"DEFAULT": "null", "null": {}}
)
if not isinstance(PROCTORING_BACKENDS.get("DEFAULT"), str):
    raise ImproperlyConfigured('PROCTORING_BACKENDS must name its default provider in "DEFAULT"')
# The service's own address as providers know it (sent as ``lms_host`` when an attempt is
# registered); the providers' callbacks come to it (docs/providers.md).
PROCTORING_PUBLIC_URL = env_str("PROCTORING_PUBLIC_URL", "")
# LTI Proctoring Services (docs/lti.md): the platform's issuer (default: the public URL), and
# how long a retired signing key stays in the JWKS after a rotation.
LTI_ISSUER = env_str("PROCTORING_LTI_ISSUER", "")
LTI_KEY_GRACE_SECONDS = env_int("PROCTORING_LTI_KEY_GRACE_SECONDS", 24 * 3600, minimum=0)

# The clock (docs/clock.md): the grace period after a deadline within which a
# learner's submission is still accepted, and how background jobs run: "inprocess" (a thread
# in each web process, the one-machine mode), "celery" (Celery beat and workers), or "off"
# (cron runs `proctoring expire_attempts`).
PROCTORING_SUBMIT_GRACE_SECONDS = env_int("PROCTORING_SUBMIT_GRACE_SECONDS", 5, minimum=0)
PROCTORING_JOBS = env_str("PROCTORING_JOBS", "inprocess")
if PROCTORING_JOBS not in {"inprocess", "celery", "off"}:
    raise ImproperlyConfigured(
        f"PROCTORING_JOBS must be inprocess, celery or off, got {PROCTORING_JOBS!r}"
    )
PROCTORING_EXPIRY_INTERVAL_SECONDS = env_int("PROCTORING_EXPIRY_INTERVAL_SECONDS", 5, minimum=1)
PROCTORING_EXPIRY_BATCH_SIZE = env_int("PROCTORING_EXPIRY_BATCH_SIZE", 500, minimum=1)

# Onboarding (docs/reviews.md#onboarding): how long a verified onboarding attempt lets the
# learner take the course's proctored exams; 0: for ever.
PROCTORING_ONBOARDING_VALIDITY_DAYS = env_int("PROCTORING_ONBOARDING_VALIDITY_DAYS", 730, minimum=0)

# The outbox (docs/events.md): events leave after their commit, to the service's own consumers
# (credit, email) and to webhook subscriptions. A pass runs every OUTBOX_INTERVAL seconds, and
# at once after a commit in the in-process mode; a failed delivery is retried with exponential
# backoff and jitter, up to OUTBOX_MAX_AGE seconds after the event, then dead-lettered.
PROCTORING_OUTBOX_INTERVAL_SECONDS = env_int("PROCTORING_OUTBOX_INTERVAL_SECONDS", 5, minimum=1)
PROCTORING_OUTBOX_BATCH_SIZE = env_int("PROCTORING_OUTBOX_BATCH_SIZE", 500, minimum=1)
PROCTORING_OUTBOX_MAX_AGE_SECONDS = env_int(
    "PROCTORING_OUTBOX_MAX_AGE_SECONDS", 3 * 24 * 3600, minimum=1
)
PROCTORING_OUTBOX_BACKOFF_BASE_SECONDS = env_int(
    "PROCTORING_OUTBOX_BACKOFF_BASE_SECONDS", 2, minimum=1
)
PROCTORING_OUTBOX_BACKOFF_MAX_SECONDS = env_int(
    "PROCTORING_OUTBOX_BACKOFF_MAX_SECONDS", 3600, minimum=1
)
# A gap in the event ids older than this is taken as a rolled-back transaction (PostgreSQL's
# sequences do not roll back); a transaction must commit its events within this time.
PROCTORING_OUTBOX_GAP_SECONDS = env_int("PROCTORING_OUTBOX_GAP_SECONDS", 30, minimum=0)
PROCTORING_OUTBOX_LEASE_SECONDS = env_int("PROCTORING_OUTBOX_LEASE_SECONDS", 120, minimum=5)
PROCTORING_WEBHOOKS_TIMEOUT_SECONDS = env_int("PROCTORING_WEBHOOKS_TIMEOUT_SECONDS", 10, minimum=1)
# Targets on private, loopback or link-local addresses are refused unless this is true.
PROCTORING_WEBHOOKS_ALLOW_PRIVATE = env_bool("PROCTORING_WEBHOOKS_ALLOW_PRIVATE", False)
# How long the previous secret still signs after a rotation.
PROCTORING_WEBHOOKS_ROTATION_OVERLAP_SECONDS = env_int(
    "PROCTORING_WEBHOOKS_ROTATION_OVERLAP_SECONDS", 24 * 3600, minimum=0
)

# Celery (the scaled mode): broker is Redis or RabbitMQ, e.g. amqp://guest:guest@127.0.0.1//.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

# Benchmarks: each response tells in X-Query-Count how many SQL statements it made. Off in
# production (it costs little, but tells the outside about the service's queries).
PROCTORING_QUERY_COUNT_HEADER = env_bool("PROCTORING_QUERY_COUNT_HEADER", False)

# --- Operations (docs/operations.md): logs, health, metrics, HTTPS, personal data ----------------
# Logs go to stdout, one JSON object a line ("json", the default unless DEBUG) or readable
# lines ("console"), Django's own included: a 500 is logged with its traceback in every setting.
PROCTORING_LOG_FORMAT = env_str("PROCTORING_LOG_FORMAT", "console" if DEBUG else "json")
if PROCTORING_LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(
        f"PROCTORING_LOG_FORMAT must be json or console, got {PROCTORING_LOG_FORMAT!r}"
    )
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "proctoring.ops.logs.formatter", "output": PROCTORING_LOG_FORMAT},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "structured",
        },
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "proctoring": {"level": LOG_LEVEL},
        # Django's loggers print through the one handler (not its DEBUG-only console, nor
        # mail_admins); 4xx answers are in the request line, 5xx come with their traceback.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
    },
}

# Readiness (/health/ready): a job is late when its last success is older than this many of
# its intervals (0: do not check the jobs).
PROCTORING_READY_JOB_INTERVALS = env_int("PROCTORING_READY_JOB_INTERVALS", 3, minimum=0)

# /metrics: a bearer token, and/or addresses or networks allowed without it. With neither, the
# metrics are open only when DEBUG is on.
PROCTORING_METRICS_TOKEN = env_str("PROCTORING_METRICS_TOKEN")
PROCTORING_METRICS_ALLOWED_IPS = env_list("PROCTORING_METRICS_ALLOWED_IPS", [])

# HTTPS: behind TLS, PROCTORING_HTTPS=true redirects plain HTTP (but the health and metrics
# paths, which probes call inside the network), sends HSTS and marks cookies secure.
PROCTORING_HTTPS = env_bool("PROCTORING_HTTPS", False)
SECURE_SSL_REDIRECT = PROCTORING_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = (
    env_int("PROCTORING_HSTS_SECONDS", 31_536_000, minimum=0) if PROCTORING_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PROCTORING_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("PROCTORING_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = PROCTORING_HTTPS
CSRF_COOKIE_SECURE = PROCTORING_HTTPS
# A proxy that ends TLS tells the scheme in X-Forwarded-Proto; trust it only when it strips the
# header from clients (gunicorn's forwarded_allow_ips does the same for `proctoring serve`).
if env_bool("PROCTORING_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the service append to X-Forwarded-For: an exam's allowed IP
# ranges check the address that many hops from the right (0: the connection's own address).
PROCTORING_TRUSTED_PROXY_COUNT = env_int("PROCTORING_TRUSTED_PROXY_COUNT", 0, minimum=0)

# Personal data: learners whose attempts are all completed and older than this many days are
# retired by `proctoring anonymize_attempts` (0: keep them; the command then needs --days).
PROCTORING_RETENTION_DAYS = env_int("PROCTORING_RETENTION_DAYS", 0, minimum=0)


# --- REST API v1 (issue #3): authentication, errors, OpenAPI ------------------------------------
# Bearer JWTs from the course platform: HS256 with a shared secret and/or RS256 with the public
# keys of a JWKS (an https:// URL, a file:// URL or a path). Issuer and audience are checked when
# set; expiry and not-before are checked with a small leeway (seconds).
PROCTORING_JWT_SECRET = env_str("PROCTORING_JWT_SECRET")
PROCTORING_JWT_JWKS_URL = env_str("PROCTORING_JWT_JWKS_URL")
PROCTORING_JWT_ISSUER = env_str("PROCTORING_JWT_ISSUER")
PROCTORING_JWT_AUDIENCE = env_str("PROCTORING_JWT_AUDIENCE")
PROCTORING_JWT_LEEWAY_SECONDS = env_int("PROCTORING_JWT_LEEWAY_SECONDS", 30, minimum=0)
# How long the keys fetched from a JWKS URL are kept before they are fetched again.
PROCTORING_JWT_JWKS_CACHE_SECONDS = env_int("PROCTORING_JWT_JWKS_CACHE_SECONDS", 300, minimum=0)
# How long a process keeps what authentication learned (a verified JWT's user, an API key, a
# user's course staff role; proctoring/rest/auth_cache.py): a change shows in every process within
# this many seconds, at once in the one that made it. 0 turns the cache off. At most entries:
PROCTORING_AUTH_CACHE_SECONDS = env_int("PROCTORING_AUTH_CACHE_SECONDS", 5, minimum=0)
PROCTORING_AUTH_CACHE_SIZE = env_int("PROCTORING_AUTH_CACHE_SIZE", 10_000, minimum=1)
# The largest request body the API parses, in bytes (a larger one is a 413).
PROCTORING_API_MAX_BODY_BYTES = env_int("PROCTORING_API_MAX_BODY_BYTES", 1_048_576, minimum=1024)

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "proctoring.rest.authentication.JWTAuthentication",
        "proctoring.rest.authentication.ApiKeyAuthentication",
        "proctoring.rest.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["proctoring.rest.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "proctoring.rest.pagination.PageNumberPagination",
    "EXCEPTION_HANDLER": "proctoring.rest.exception_handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "proctoring.rest.schema.AutoSchema",
    "STRICT_JSON": True,
}

_COURSE_ID_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": COURSE_ID_MAX_LENGTH,
    "pattern": COURSE_ID_PATTERN,
    "description": "The platform's course id: `course-v1:Org+Number+Run` or `Org/Number/Run` "
    "(docs/integration.md).",
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Proctoring API",
    "DESCRIPTION": "Exams, attempts, allowances and course roles of the proctoring service.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from this package, not from a CDN: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999},
        "course_id": _COURSE_ID_SCHEMA,
        "known_course_id": _COURSE_ID_SCHEMA,
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "proctoring.rest.schema.add_retry_after_header",
        "proctoring.rest.schema.forbid_nul_in_input_strings",
        "proctoring.rest.schema.require_bodies_with_required_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AttemptStatusEnum": "proctoring.attempts.statuses.CHOICES",
        "CourseRoleEnum": "proctoring.rest.schema.ROLE_CHOICES",
        "AllowanceKeyEnum": "proctoring.rest.schema.ALLOWANCE_KEY_CHOICES",
    },
}
# --- end of REST API v1 settings ------------------------------------------------------------------


# --- Browser proctoring (docs/browser-proctoring.md) ---------------------------------------------
# Snapshots are kept through Django's storage API: the "browser_snapshots" storage, a private
# folder of the data directory by default (never served as media: a permission-checked view
# serves them). S3-compatible storage: PROCTORING_BROWSER_STORAGE set to a JSON object
# {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {...}} (django-storages installed).
STORAGES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "browser_snapshots": env_json_object(
        "PROCTORING_BROWSER_STORAGE",
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(DATA_DIR / "browser-snapshots"), "base_url": None},
        },
    ),
}
MEDIA_ROOT = DATA_DIR / "media"
# Snapshots older than this many days are deleted by `proctoring browser_purge`.
PROCTORING_BROWSER_RETENTION_DAYS = env_int("PROCTORING_BROWSER_RETENTION_DAYS", 30, minimum=1)
# The ingest endpoint's limits: a batch's bytes, events and snapshots, a snapshot's bytes, and
# the batches one attempt may send a minute.
PROCTORING_BROWSER_MAX_BATCH_BYTES = env_int(
    "PROCTORING_BROWSER_MAX_BATCH_BYTES", 2_000_000, minimum=1024
)
PROCTORING_BROWSER_MAX_EVENTS_PER_BATCH = env_int(
    "PROCTORING_BROWSER_MAX_EVENTS_PER_BATCH", 500, minimum=1
)
PROCTORING_BROWSER_MAX_SNAPSHOTS_PER_BATCH = env_int(
    "PROCTORING_BROWSER_MAX_SNAPSHOTS_PER_BATCH", 4, minimum=0
)
PROCTORING_BROWSER_MAX_SNAPSHOT_BYTES = env_int(
    "PROCTORING_BROWSER_MAX_SNAPSHOT_BYTES", 300_000, minimum=1024
)
PROCTORING_BROWSER_BATCHES_PER_MINUTE = env_int(
    "PROCTORING_BROWSER_BATCHES_PER_MINUTE", 30, minimum=1
)
# The settings of an exam that has none of its own (field: value, as in the admin).
PROCTORING_BROWSER_DEFAULTS: dict[str, Any] = env_json_object("PROCTORING_BROWSER_DEFAULTS", {})
