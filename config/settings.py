"""Settings, read from the environment (see .env.example).

Development defaults point at the local PostgreSQL and Redis; production (DEBUG=False)
refuses to start without its secrets.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == DEV_SECRET):
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # pg_trgm: the number's trigram index (docs/interceptions.md)
    "rest_framework",
    "knox",  # API tokens: stored as hashes, with an expiry, revocable one by one (docs/api.md)
    "drf_spectacular",
    "guardian",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_countries",  # nationality and place countries (docs/places.md)
    "core",
    "accounts",
    "audit",
    "people",
    "interception",
    "cases",
    "prosecution",
    "alerts",
    "exports",
]

MIDDLEWARE = [
    "core.timing.ServerTimingMiddleware",  # Server-Timing header, only with SERVER_TIMING=1 (benchmarks)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.NoStoreMiddleware",  # Cache-Control: no-store on every response but static files
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the browser's language; a user's own setting wins below
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.access_cache.AccessProfileMiddleware",  # each user's access profile read once per request
    "accounts.middleware.UserLanguageMiddleware",  # User.language, when set (docs/i18n.md)
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "audit.context.AuditContextMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

SERVER_TIMING = env.bool("SERVER_TIMING", default=False)  # core.timing: off in production

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/interception"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out accounts before the password is checked
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Argon2id (argon2-cffi) for new passwords; the older hashers after it still check existing hashes, which
# are re-hashed with Argon2id at the next successful login (docs/operations.md, "Password hashing").
PASSWORD_HASHERS = [
    # Argon2id with OWASP parameters; it also reads hashes made with Django's Argon2 defaults.
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Sessions: an idle timeout and an absolute lifetime (accounts.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)  # seconds
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 60 * 60)  # seconds
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# MFA (django-otp): TOTP plus single-use recovery codes, required for every role that can see personal
# data, IPs or login history (auditors, admins), for staff and superusers (accounts.policies, accounts.mfa).
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Interception CMS")
MFA_MAX_FAILURES = 5
MFA_REAUTH_SECONDS = 300  # how long a re-entered code allows replacing the authenticator or recovery codes

# The real client IP is taken from X-Forwarded-For behind this many trusted reverse proxies (0: none, use
# REMOTE_ADDR). Used by the access log and the lockout alike (audit.context.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))

# Lockout after repeated failed logins (django-axes, accounts.lockout): per account, and separately per
# client IP with a much higher limit, since a station's monitors share one IP address (and often one phone
# model). Attempts are stored under a login key (account id, or a keyed hash of an unknown name), never
# under the name typed.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)  # per account
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=50)  # per client IP
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "audit.context.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused try neither extends nor spreads a lock
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the access log (audit) already
AXES_ENABLE_ADMIN = False  # accounts/admin_lockouts.py shows active lockouts instead
LOGIN_REDIRECT_URL = "interception:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# English and Nepali (docs/i18n.md): the user's setting, else the browser's Accept-Language, else English.
LANGUAGES = [("en", "English"), ("ne", "नेपाली")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"  # stored in UTC; each station's local time is shown from Station.timezone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Uploaded photos and attachments live outside any public URL; they are served only by
# views that check access (see interception.views.attachment_download).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
# Nothing is ever written to the default (public) storage and no URL serves it.
MEDIA_URL = "/_no_public_media/"
MEDIA_ROOT = BASE_DIR / "var" / "no-public-media"
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Redis and Celery
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# A task whose worker died is redelivered after the visibility timeout; no task runs or waits longer.
# Workers look for such messages every interval × throttle seconds (kombu's defaults: 10 × 10).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
HEALTHZ_CELERY_TIMEOUT = env.float("HEALTHZ_CELERY_TIMEOUT", default=1.0)
# Where the daily access-log anchor goes (audit/anchor.py): a directory on its own volume, shipped off-host
# or append-only, and/or the auditors' mailbox. docs/operations.md.
AUDIT_ANCHOR_DIR = env.str("AUDIT_ANCHOR_DIR", default="")
AUDIT_ANCHOR_EMAILS = env.list("AUDIT_ANCHOR_EMAILS", default=[])
CELERY_BEAT_SCHEDULE = {
    "purge-expired-exports": {"task": "exports.tasks.purge_expired_exports", "schedule": 3600.0},
    # The access log's anchor (newest id:hash and count), daily, to where the application cannot rewrite it;
    # on its own queue, consumed by the one worker that mounts AUDIT_ANCHOR_DIR (docs/operations.md).
    "export-audit-anchor": {
        "task": "audit.tasks.export_anchor",
        "schedule": crontab(minute=10, hour=0),
        "options": {"queue": "audit_anchor"},
    },
    # The outbox (core.outbox): a fallback relay beside `manage.py outbox_relay`, and the purge of sent rows.
    "relay-outbox": {"task": "core.tasks.relay_outbox", "schedule": 60.0},
    "purge-outbox": {"task": "core.tasks.purge_outbox", "schedule": 3600.0},
    # Case files (docs/cases.md): follow-ups due or overdue remind their case manager, once per follow-up
    # and day, early in Nepal's morning (00:15 UTC is 06:00 at UTC+05:45).
    "remind-follow-ups": {"task": "cases.tasks.remind_follow_ups", "schedule": crontab(minute=15, hour=0)},
    # Prosecution (docs/prosecution.md): hearings 3 days ahead and on the day remind the case's legal
    # officers, once per hearing and day.
    "remind-hearings": {"task": "prosecution.tasks.remind_hearings", "schedule": crontab(minute=20, hour=0)},
}
# Outbox: seconds between relay rounds, how long one broker attempt may take, days sent rows are kept.
OUTBOX_RELAY_INTERVAL = env.float("OUTBOX_RELAY_INTERVAL", default=5.0)
OUTBOX_BROKER_TIMEOUT = env.float("OUTBOX_BROKER_TIMEOUT", default=2.0)
OUTBOX_KEEP_SENT_DAYS = env.int("OUTBOX_KEEP_SENT_DAYS", default=7)

# Exports: files kept EXPORT_RETENTION_DAYS; pseudonyms in de-identified files are keyed hashes with
# EXPORT_PSEUDONYM_KEY (derived from SECRET_KEY when not set; set it to keep pseudonyms stable across a
# SECRET_KEY rotation).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
EXPORT_PSEUDONYM_KEY = env.str("EXPORT_PSEUDONYM_KEY", default="")
EXPORT_CHUNK_SIZE = env.int("EXPORT_CHUNK_SIZE", default=2000)
# Seconds to pause after each chunk: spreads a large export's load on a small server (0 = no pause).
EXPORT_PAUSE_PER_CHUNK = env.float("EXPORT_PAUSE_PER_CHUNK", default=0.0)

# People search: the access log keeps a keyed hash (HMAC-SHA256) of each search's query, never the query.
# AUDIT_QUERY_KEY is the key (derived from SECRET_KEY when not set; set it to keep the hashes comparable
# across a SECRET_KEY rotation). people/selectors.py `query_digest`.
AUDIT_QUERY_KEY = env.str("AUDIT_QUERY_KEY", default="")

# Person matching (people/matching.py, docs/people.md "Matching"). A pair's score (0..1, clamped) is
# weights["name"] × name similarity (rapidfuzz word by word on the name keys) + weights["phone"] for
# a shared phone (a tenth of it taken off for different phones) + up to weights["age"] for birth years within
# age_tolerance years, taken off beyond it (up to three times over) − weights["gender"] for two different
# known genders + weights["district"] for the same home district (− district_mismatch × it for another one).
# A pair at or above suggest_threshold is queued for review; alert_threshold is the "suspect seen again"
# level: without a shared phone only the same name, the same birth year and the same home district reach it
# (nothing merges on its own). `candidates`: how many identities the trigram search hands to the scorer;
# `namesakes`: with this many identities of the same name (its key, with or without a middle name), the
# (slow) fuzzy search for look-alikes is skipped; `look_alikes`: with this many close names (trigram
# similarity ≥ 0.6), the wide net (≥ 0.45) is skipped. Calibrated on benchmarks/people_data.py
# (benchmarks/PEOPLE.md).
PEOPLE_MATCHING = {
    "weights": {"name": 0.8, "phone": 0.35, "age": 0.1, "gender": 0.3, "district": 0.05},
    "suggest_threshold": 0.6,
    "alert_threshold": 0.95,
    "age_tolerance": 3,
    "candidates": 50,
    "namesakes": 20,
    "look_alikes": 5,
    "district_mismatch": 0.5,
}

# Victim case files (docs/cases.md): an interview whose home-situation alarms total at least this alerts the
# case manager and the station's managers; a referral lasts this many days unless given an expiry.
CASES_HOME_ALARM_THRESHOLD = env.int("CASES_HOME_ALARM_THRESHOLD", default=10)
CASES_REFERRAL_DAYS = env.int("CASES_REFERRAL_DAYS", default=90)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API request answers 401 with WWW-Authenticate.
        "accounts.authentication.TokenAuthentication",  # django-rest-knox (hashed, expiring)
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Signed in, and the view's policy allows the action its method needs (core/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.PolicyPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Numbered pages for short lists; the interception and access-log lists page by cursor (core.keyset).
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # orjson, writing the same JSON as DRF's JSONRenderer (core/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.ORJSONRenderer"],
    # JSON bodies only (multipart where a file is uploaded: interception attachments), so the schema
    # declares exactly what the API parses (a form-encoded "0" is not a JSON false); JSON nested too
    # deeply is a 400, not a 500 (core.parsers).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored; the token is shown once, when issued
# (`manage.py issue_token`), and expires after API_TOKEN_TTL_DAYS unless issued with --expires-days.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Interception case management API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Choice sets named "kind": a document carried (the whole record), an attachment, a place, an export.
    "ENUM_NAME_OVERRIDES": {
        "DocumentKindEnum": "interception.models.DocumentKind",
        "AttachmentKindEnum": "interception.models.AttachmentKind",
        "PlaceKindEnum": "people.models.PlaceKind",
        "ExportKindEnum": "exports.models.ExportKind",
        "StatusEnum": "interception.models.Status",  # the record and its list row
        # Case files (docs/cases.md): the case's status, a service's kind and status, a follow-up's and a
        # consent's method, a route stop's kind.
        "CaseStatusEnum": "cases.models.CaseStatus",
        "ServiceKindEnum": "cases.models.ServiceKind",
        "ServiceStatusEnum": "cases.models.ServiceStatus",
        "FollowUpMethodEnum": "cases.models.FollowUpMethod",
        "ConsentMethodEnum": "cases.models.ConsentMethod",
        "RouteStopKindEnum": "cases.models.RouteStopKind",
    },
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
# The address of this site, for links in e-mails (alerts): scheme, host and port, no trailing slash.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Security
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
