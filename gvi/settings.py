"""One settings module, configured from the environment.

Defaults are the embedded ones (SQLite under var/, tasks in-process) so that `make run` works on a
bare laptop. With DEBUG off the settings are production-grade: `manage.py check --deploy` is clean.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

# Lets runtime code subscript generic Django classes (ModelAdmin[Program], QuerySet[Person]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
SECRET_KEY_FROM_ENVIRONMENT = bool(SECRET_KEY)
if not SECRET_KEY:
    # Management commands (makemigrations, check, compilemessages) run without one. Serving does not:
    # gvi/wsgi.py, gvi/asgi.py and the Celery app refuse to start, and `check --deploy` fails (gvi/checks.py).
    SECRET_KEY = "insecure-development-key-only-for-debug-" + "x" * 20 if DEBUG else get_random_secret_key()

# Keyed hash for identity numbers in the audit trail (search terms); separate from SECRET_KEY so
# that rotating one does not invalidate the other.
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", SECRET_KEY)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_celery_beat",
    "gvi",
    "gvi.accounts",
    "gvi.audit",
    "gvi.mapping",
    "gvi.notifications",
    "cases",
    "outreach",
    "interventions",
    "reports",
    "gvi.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gvi.middleware.RequestContextMiddleware",
    "gvi.middleware.NoStoreMiddleware",
    "gvi.audit.middleware.AuditBatchMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gvi.accounts.middleware.SessionLifetimeMiddleware",
    "gvi.accounts.middleware.RequireVerifiedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gvi.urls"
WSGI_APPLICATION = "gvi.wsgi.application"
ASGI_APPLICATION = "gvi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gvi.context_processors.navigation",
            ],
        },
    },
]
# Django's form templates, but select boxes written in Python (a 400-name picker costs 1 ms, not 40).
FORM_RENDERER = "gvi.forms_renderer.FormRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gvi.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries over indexes: PostgreSQL's JIT spent 150 ms to 1.4 s compiling plans whose estimated cost
    # was high (the national-scale bench, BENCHMARKS.md) to save a few ms. PG_JIT=on brings it back.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c jit={'on' if env_bool('PG_JIT', False) else 'off'}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, Celery ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Under pytest-xdist every test worker gets its own Redis database, for the cache and the broker alike.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _xdist_worker.startswith("gw"):
    REDIS_URL = urlsplit(REDIS_URL)._replace(path=f"/{1 + int(_xdist_worker[2:])}").geturl()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Idle timeout: a session lives 30 minutes after it was last saved.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
# Activity renews the session at most once a minute (gvi.accounts.middleware.SessionLifetimeMiddleware).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Absolute lifetime of a login, enforced by gvi.accounts.middleware.SessionLifetimeMiddleware.
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker tasks run in-process (make run's default); CELERY_EAGER forces either way.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Europe/Stockholm"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Retention (gvi.retention): the nightly cull's time, and the operator's default rules in months per category,
# where they depart from the categories' own (unset: the category's default; a program may set its own rule).
RETENTION_CULL_HOUR = 2
RETENTION_CULL_MINUTE = 30
RETENTION_SOCIAL_MONTHS = env_int("RETENTION_SOCIAL_MONTHS", 60)
RETENTION_EXIT_CASE_MONTHS = env_int("RETENTION_EXIT_CASE_MONTHS", 60)
RETENTION_POLICE_MONTHS = env_int("RETENTION_POLICE_MONTHS", 36)
RETENTION_PROBATION_MONTHS = env_int("RETENTION_PROBATION_MONTHS", 60)
RETENTION_MAPPING_MONTHS = env_int("RETENTION_MAPPING_MONTHS", 3)
RETENTION_INVOLVEMENT_MONTHS = env_int("RETENTION_INVOLVEMENT_MONTHS", 60)

# Beat (django_celery_beat copies these into its database at start). Times are CELERY_TIMEZONE's.
CELERY_BEAT_SCHEDULE = {
    # Expired shares stop working at read time already; this only marks them ended and drops their grants.
    "cases-tidy-expired-shares": {
        "task": "cases.tidy_expired_shares_all",
        "schedule": crontab(hour=2, minute=15),
    },
    # Due follow-ups and threat-assessment reviews: once before the working day, once after lunch (a
    # reminder is made once per due date, so the second run only catches what became due since).
    "outreach-reminders": {
        "task": "outreach.send_reminders_all",
        "schedule": crontab(hour="7,13", minute=0),
    },
    # Retention (gallring): what is due is culled every night, after the shares are tidied.
    "retention-cull": {
        "task": "retention.cull_all",
        "schedule": crontab(hour=RETENTION_CULL_HOUR, minute=RETENTION_CULL_MINUTE),
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

OTP_TOTP_ISSUER = "Sluta skjut"

# Lock the username, not the office's shared IP address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "gvi.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# axes.W006 asks to lock by IP too. We lock by username on purpose: a social-services office shares one
# address, and locking it would lock out the whole office (DESIGN.md, Accounts).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# django-guardian: no anonymous user, object permissions only through gvi/access.py.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files are never served from a public URL: downloads go through views that check the policy.
MEDIA_URL = "/media-not-served/"
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if os.environ.get("S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL"),
            "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
        },
    }

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
_email = urlsplit(EMAIL_URL)
if _email.scheme == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _email.scheme == "locmem":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif _email.scheme in {"smtp", "smtps", "submission"}:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or {"smtp": 25, "smtps": 465, "submission": 587}[_email.scheme]
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "submission"
else:
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {_email.scheme!r} is not supported (console, smtp, smtps, submission)"
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sluta-skjut@localhost")
# Where the application is reached: e-mailed links (which carry no personal data) point here.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Behind a TLS-terminating proxy (put one in front of the compose file's web service), trust its
# X-Forwarded-Proto header; the proxy must set it and strip any the client sends.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gvi.accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["gvi.accounts.api_auth.IsVerifiedStaff"],
    "DEFAULT_PAGINATION_CLASS": "gvi.drf.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gvi.drf.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sluta skjut API",
    "DESCRIPTION": "Case management for Group Violence Intervention. Same access policy as the pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["gvi.accounts.api_auth.IsVerifiedStaff"],
    # Choice sets that share a field name ("status") get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "GroupStatusEnum": "gvi.mapping.models.GroupStatus",
        "SubjectAccessStatusEnum": "cases.models.disclosure.SubjectAccessExport.Status",
        "ConcernOutcomeEnum": "cases.models.sharing.ConcernReport.Outcome",
        "ExitCaseOutcomeEnum": "outreach.models.ExitCase.Outcome",
        "ReferralStatusEnum": "outreach.models.Referral.Status",
        "SupportMeasureStatusEnum": "outreach.models.SupportMeasure.Status",
        "ThreatLevelEnum": "outreach.models.ThreatLevel",
        "CallInStatusEnum": "interventions.models.CallIn.Status",
        "CallInEndStatusEnum": ["held", "cancelled"],
        "InvitationStatusEnum": "interventions.models.CallInInvitation.Status",
        "CustomNotificationStatusEnum": "interventions.models.CustomNotification.Status",
        "CustomNotificationOutcomeEnum": "interventions.models.CustomNotification.Outcome",
        "IncidentKindEnum": "gvi.mapping.models.IncidentKind",
        "EnforcementActionKindEnum": "interventions.models.EnforcementAction.Kind",
        "ReportKindEnum": "reports.models.ReportKind",
        "ReportStatusEnum": "reports.models.Report.Status",
        "IndicatorKindEnum": "reports.models.IndicatorKind",
    },
}
API_TOKEN_LIFETIME = timedelta(days=env_int("API_TOKEN_DAYS", 30))
# Emergency access (nödåtkomst, gvi/accounts/emergency.py): how long one opened record stays open.
EMERGENCY_ACCESS_MINUTES = env_int("EMERGENCY_ACCESS_MINUTES", 30)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO: a report build would fill the worker log.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Program behaviour ----------------------------------------------------------------------
# Demo personas' TOTP keys are only usable, and `demo_totp` only answers, with DEMO_MODE on.
DEMO_MODE = env_bool("DEMO_MODE", DEBUG)
# Set when the proxy in front puts the client address in X-Forwarded-For (and strips the client's own).
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
