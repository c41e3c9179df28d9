"""Django settings: every value comes from the environment, here and nowhere else.

Each variable, its default and its meaning is listed in `.env.example` at the
repository root. A malformed value stops start-up with a message naming it
(see `config/env.py`).
"""

import sys
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.broker import celery_redis
from config.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_redis_address,
    env_str,
    env_timezone,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Assumption: pytest is imported only when the test suite runs. The tests then get
# a fixed secret key and a fast password hasher; nothing else differs.
RUNNING_TESTS = "pytest" in sys.modules

# Off by default so that a forgotten variable never exposes debug pages in
# production; the demo script and local development set DEBUG=1.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or RUNNING_TESTS:
        SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY is required when DEBUG is off "
            "(set DEBUG=1 for local development)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- the upstream and the background work -----------------------------------

# Defaults point at the local simulator and its documented demo token.
CONTROL_API_URL = env_url("CONTROL_API_URL", "http://127.0.0.1:8001/api/v1")
CONTROL_API_TOKEN = env_str("CONTROL_API_TOKEN", "demo-token")
# Only `demo_setup` uses it: the token of the simulator's /_sim/ control endpoints.
SIMULATOR_CONTROL_TOKEN = env_str("SIMULATOR_CONTROL_TOKEN", "sim-control")
# Seconds to connect and to read one upstream answer.
CONTROL_API_CONNECT_TIMEOUT = env_int("CONTROL_API_CONNECT_TIMEOUT", 3, minimum=1)
CONTROL_API_READ_TIMEOUT = env_int("CONTROL_API_READ_TIMEOUT", 30, minimum=1)

# The read model's and the broker's Redis. With REDIS_SENTINELS and REDIS_SENTINEL_MASTER, every
# client asks those sentinels for the master's address instead of using REDIS_URL's host and
# port (REDIS_URL then gives only the database and credentials), and follows a failover.
_REDIS = env_redis_address()
REDIS_URL = _REDIS.url
REDIS_SENTINELS = list(_REDIS.sentinels)
REDIS_SENTINEL_MASTER = _REDIS.master_name
REDIS_SENTINEL_PASSWORD = _REDIS.sentinel_password
# Every Redis key the read model writes starts with this, so several dashboards
# (or the tests) can share one Redis.
READ_MODEL_KEY_PREFIX = env_str("READ_MODEL_KEY_PREFIX", "noc:")

# Floor of 5 s: a faster poll would only load the upstream, pages never wait on it.
POLL_INTERVAL_SECONDS = env_int("POLL_INTERVAL_SECONDS", 30, minimum=5)
PROFILE_POLL_INTERVAL_SECONDS = env_int("PROFILE_POLL_INTERVAL_SECONDS", 300, minimum=5)
# A full poll rebuilds the snapshot (deletions and renames show up); between full polls,
# cheap incremental ones ask only for devices whose status changed.
FULL_POLL_INTERVAL_SECONDS = env_int(
    "FULL_POLL_INTERVAL_SECONDS", max(600, POLL_INTERVAL_SECONDS), minimum=POLL_INTERVAL_SECONDS
)
POLL_PAGE_SIZE = env_int("POLL_PAGE_SIZE", 100, minimum=1, maximum=100)  # the upstream's maximum
POLL_PARALLEL_REQUESTS = env_int("POLL_PARALLEL_REQUESTS", 8, minimum=1, maximum=64)
# Pages one Celery task of a full poll fetches and stores (the poll's ranges are shared
# by every worker: devices/tasks.py).
POLL_PAGES_PER_RANGE = env_int("POLL_PAGES_PER_RANGE", 10, minimum=1, maximum=1000)
# The poll lock's expiry: how long a killed worker can block polling.
POLL_LOCK_SECONDS = env_int("POLL_LOCK_SECONDS", 60, minimum=10)
POLL_SOFT_TIME_LIMIT_SECONDS = env_int("POLL_SOFT_TIME_LIMIT_SECONDS", 600, minimum=30)

# The broker's URL, transport and options (a sentinel:// URL and the master's name through
# Sentinel); a result backend on the same Redis takes REDIS_FOR_CELERY.url and .options too.
REDIS_FOR_CELERY = celery_redis(_REDIS)
CELERY_BROKER_URL = REDIS_FOR_CELERY.url
CELERY_TASK_DEFAULT_QUEUE = "celery"  # Celery's own default; /metrics reports its length
# kombu's Redis (or Sentinel) transport, repaired so a worker survives a Redis restart.
CELERY_BROKER_TRANSPORT = REDIS_FOR_CELERY.transport
CELERY_TASK_IGNORE_RESULT = True  # tasks write to the read model, nobody awaits a result
# Only a full poll's range tasks keep a result: the chord that runs the poll's finish
# step after its ranges counts them there (devices/tasks.py). Kept an hour at most. Through
# Sentinel, Celery's sentinel:// result backend with the broker's master name.
CELERY_RESULT_BACKEND = REDIS_FOR_CELERY.url
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = dict(REDIS_FOR_CELERY.options)
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker polling the fleet must not hold a second poll message meanwhile.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Above the polls' hard time limit (630 s), so a long poll's unacknowledged message is
# never handed to a second worker while the first still runs (docs/ARCHITECTURE.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **REDIS_FOR_CELERY.options}
# --- notifications (alerts) ---------------------------------------------------

# The dashboard's address as people reach it: notifications link to its pages.
DASHBOARD_URL = env_url("DASHBOARD_URL", "http://127.0.0.1:8000").rstrip("/")
# Beat evaluates the recorded status transitions this often, as a backstop to the
# evaluation that follows each poll, and re-sends deliveries whose time has come.
ALERT_EVALUATION_SECONDS = 15
ALERT_SWEEP_SECONDS = 30
# A worker sending a delivery holds it this long; past it (the worker died) it is sent again.
ALERT_SEND_LEASE_SECONDS = env_int("ALERT_SEND_LEASE_SECONDS", 120, minimum=5)
# Seconds to wait before each retry of a failed delivery; after the last, it has failed.
ALERT_RETRY_DELAYS = (30, 120, 600, 1800)
# E-mail destinations (mailto:) go through Django's e-mail backend with these settings.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noc-dashboard@localhost")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
# Where e-mail goes: the SMTP server above, or (EMAIL_FILE_PATH set, as `./run demo` does
# when no EMAIL_HOST is given) one file per message in that directory.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "") or None
EMAIL_BACKEND = (
    "django.core.mail.backends.filebased.EmailBackend"
    if EMAIL_FILE_PATH
    else "django.core.mail.backends.smtp.EmailBackend"
)

# A bulk job whose worker gave no sign of life for this long (it sends one device in at
# most ~20 s) is taken for dead and queued again; beat looks every 30 s (docs/OPERATIONS.md).
BULK_JOB_STALL_SECONDS = env_int("BULK_JOB_STALL_SECONDS", 60, minimum=60)
BULK_JOB_WATCHDOG_SECONDS = 30
# An organization with this many devices or more has its uptime report prepared by a worker
# rather than computed while the page waits (reports.prepared). ASSUMPTION: a month of
# 50,000 devices takes about 4 s on the 2-core benchmark machine (docs/PERFORMANCE.md).
REPORT_BACKGROUND_DEVICES = env_int("REPORT_BACKGROUND_DEVICES", 50_000, minimum=0)
# The durable status history (PostgreSQL) keeps this many days; beat prunes older rows
# hourly, 10,000 rows a statement (docs/OPERATIONS.md, "Status history").
HISTORY_RETENTION_DAYS = env_int("HISTORY_RETENTION_DAYS", 400, minimum=1)
HISTORY_PRUNE_SECONDS = 3600
# Firmware campaigns: beat advances every running campaign this often; a worker that
# stopped without a word for CAMPAIGN_STALL_SECONDS is taken for dead (its lease and any
# device it was sending are taken over; see campaigns.sending). The stall must outlast a
# PATCH's own timeouts, so a send the dead worker made has been answered by then.
CAMPAIGN_TICK_SECONDS = env_int("CAMPAIGN_TICK_SECONDS", 15, minimum=1)
CAMPAIGN_STALL_SECONDS = env_int(
    "CAMPAIGN_STALL_SECONDS",
    2 * (CONTROL_API_CONNECT_TIMEOUT + CONTROL_API_READ_TIMEOUT),
    minimum=2,
)

CELERY_BEAT_SCHEDULE = {
    "advance-campaigns": {
        "task": "campaigns.advance_all",
        "schedule": timedelta(seconds=CAMPAIGN_TICK_SECONDS),
        "options": {"expires": CAMPAIGN_TICK_SECONDS},
    },
    "prune-history": {
        "task": "devices.tasks.prune_history",
        "schedule": timedelta(seconds=HISTORY_PRUNE_SECONDS),
        "options": {"expires": HISTORY_PRUNE_SECONDS},
    },
    "resume-stalled-bulk-jobs": {
        "task": "devices.bulk_tasks.resume_stalled_bulk_jobs",
        "schedule": timedelta(seconds=BULK_JOB_WATCHDOG_SECONDS),
        "options": {"expires": BULK_JOB_WATCHDOG_SECONDS},
    },
    "evaluate-alerts": {
        "task": "alerts.evaluate",
        "schedule": timedelta(seconds=ALERT_EVALUATION_SECONDS),
        "options": {"expires": ALERT_EVALUATION_SECONDS},
    },
    "sweep-alert-deliveries": {
        "task": "alerts.sweep_deliveries",
        "schedule": timedelta(seconds=ALERT_SWEEP_SECONDS),
        "options": {"expires": ALERT_SWEEP_SECONDS},
    },
    "poll-fleet": {
        "task": "devices.tasks.poll_fleet",
        "schedule": timedelta(seconds=POLL_INTERVAL_SECONDS),
        # A poll that waited longer than its interval is stale: the next one replaces it.
        "options": {"expires": POLL_INTERVAL_SECONDS},
    },
    "poll-profiles": {
        "task": "devices.tasks.poll_profiles",
        "schedule": timedelta(seconds=PROFILE_POLL_INTERVAL_SECONDS),
        "options": {"expires": PROFILE_POLL_INTERVAL_SECONDS},
    },
}

# Device actions: a person waits for the answer, so the read timeout is shorter than the
# pollers'; the page follows an action's pending entry this long before "not confirmed".
ACTION_READ_TIMEOUT = 15
ACTION_FOLLOW_SECONDS = 180
# The triage board counts pending settings once they have waited this long.
TRIAGE_PENDING_MINUTES = 15

# /readyz answers 503 when the last successful fleet poll started longer ago than this.
READY_MAX_POLL_AGE_SECONDS = env_int(
    "READY_MAX_POLL_AGE_SECONDS", max(300, 3 * POLL_INTERVAL_SECONDS), minimum=POLL_INTERVAL_SECONDS
)
# Who may read /metrics: a bearer token and/or client addresses; with neither, it is 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_ADDRESSES = env_networks("METRICS_ALLOWED_ADDRESSES")
# Set, prometheus_client adds up the request metrics of several processes (gunicorn workers).
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
# Migrations are not metrics here; exporting them would query the database at every start.
PROMETHEUS_EXPORT_MIGRATIONS = False

# Benchmark only (bench/pages.py): serves /devices/naive/, the device list read from
# the upstream on every request, to compare against the cached page. 404 when off.
BENCHMARK_VIEWS = env_bool("BENCHMARK_VIEWS", False)

# --- Django ------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_prometheus",
    "axes",
    "accounts",
    # Only for its template filters (common/templatetags); it has no models.
    "common",
    "devices",
    "profiles",
    "operations",
    "maintenance_windows",
    "alerts",
    "saved_views",
    "reports",
    "campaigns",
    "timeline",
    "overview",
    "wall",
    "monitoring",
    "config",
]

MIDDLEWARE = [
    # First and last: request counts and latencies per view (/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "accounts.middleware.DisplayTimeZoneMiddleware",
    # After authentication: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "overview.context_processors.banner",
                "overview.context_processors.tenancy_context",
                "overview.context_processors.display",
            ],
        },
    },
]

DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if RUNNING_TESTS:
    # Hashing at full strength would dominate the run time of the tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Axes first: it refuses a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.auth_backends.LoginThrottle",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
# The zone pages show times in (and say so); storage is always UTC.
DISPLAY_TIME_ZONE = env_timezone("DISPLAY_TIME_ZONE", TIME_ZONE)
CELERY_TIMEZONE = TIME_ZONE

# --- static files: ours and the packages', served by WhiteNoise, never a CDN ---

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# After `collectstatic` files get hashed names and far-future caching; before it
# (runserver, the demo) WhiteNoise serves them straight from the apps and packages.
_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists() and not (DEBUG or RUNNING_TESTS)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not _COLLECTED
# Looks files up per request instead of indexing STATIC_ROOT at start-up (which warns
# when collectstatic has not run): right for development and the tests.
WHITENOISE_AUTOREFRESH = DEBUG or RUNNING_TESTS

# --- security ---------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Off by default: production usually terminates TLS at a proxy that redirects.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Probes and scrapers often speak plain HTTP to the container: no redirect for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz", r"^readyz$", r"^metrics$"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    # Cookies only over HTTPS; set SECURE_COOKIES=0 to try a production build over plain HTTP.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    # Preloading binds the whole domain to HTTPS for months: the domain's owner decides.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Login throttling: after LOGIN_FAILURE_LIMIT failed logins for one username from one
# address, that pair is refused for LOGIN_LOCKOUT_MINUTES after the last failure.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# The address is REMOTE_ADDR only: a client-sent X-Forwarded-For must not pick its own address.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# No Axes banner at each process start; its log lines mask usernames and addresses anyway.
AXES_VERBOSE = False

# Sessions end after this many seconds without a request (SessionRenewalMiddleware pushes the
# expiry back, writing the session at most once a minute).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600, minimum=300)
SESSION_RENEW_SECONDS = 60

# Explains a refused form when secure cookies meet plain HTTP, instead of a bare 403.
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"

# Content-Security-Policy: scripts, styles and images from this site only; no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- logging: to stderr, with the API token and bearer headers redacted --------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"Environment variable LOG_LEVEL={LOG_LEVEL!r} is not valid: "
        "expected DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "common.log_redaction.RedactSecrets"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default config gives these loggers handlers of their own; route them
        # through ours so the redaction applies and nothing prints twice.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # urllib3 at DEBUG prints every request line; keep it quiet unless asked.
        "urllib3": {"level": "WARNING"},
        # apprise's own messages may quote a destination URL (a secret): kept out of the
        # log; alerts.destinations logs each delivery's answer, masked, instead.
        "apprise": {"handlers": [], "propagate": False},
    },
}
