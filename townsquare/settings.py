"""Townsquare settings: one file, driven by environment variables.

Every variable is documented in README.md ("Configuration"). Secrets may be given
directly or through ``<NAME>_FILE``. Production mode refuses unsafe values at start-up.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url

from townsquare.core.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = BASE_DIR / "townsquare"

ENVIRONMENT = env_choice("TOWNSQUARE_ENV", ("development", "production"), "development")
PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ConfigurationError("SECRET_KEY (or SECRET_KEY_FILE) must be set in production")
    # Embedded mode: one random key per installation, kept beside the database.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG must be false")
    if (
        len(SECRET_KEY) < 50
        or SECRET_KEY.startswith("django-insecure")
        or len(set(SECRET_KEY)) < 10
    ):
        problems.append("SECRET_KEY must be a random value of at least 50 characters")
    if not SECURE_COOKIES:
        problems.append("SECURE_COOKIES must be true (cookies only over HTTPS)")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the public host names")
    if not SITE_URL.startswith("https://"):
        problems.append("SITE_URL must start with https://")
    if problems:
        raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "huey.contrib.djhuey",
    "django_htmx",
    "ninja",  # its bundled Swagger UI files, so the API docs need no CDN
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "townsquare.core",
    "townsquare.organisations",
    "townsquare.channels",
    "townsquare.api",
    "townsquare.portal",
    "townsquare.sandbox",
    "townsquare.media",
    "townsquare.publishing",
    "townsquare.archive",
    "townsquare.inbox",
    "townsquare.engagement",
    "townsquare.listening",
    "townsquare.ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "townsquare.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "townsquare.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "townsquare.core.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "townsquare.urls"
WSGI_APPLICATION = "townsquare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "townsquare.core.context_processors.console",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'townsquare.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", default=60))
except ValueError as exc:
    raise ConfigurationError(f"DATABASE_URL is not a valid database address: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing on a lock upgrade.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file, not shared-cache memory: the same locking as production, so
    # concurrency tests mean something (pytest-xdist adds a suffix per worker).
    # One file per test process, so parallel runs never share it.
    _db["TEST"] = {
        "NAME": env_str("TEST_SQLITE_NAME")
        or str(Path(tempfile.gettempdir()) / f"townsquare-test-{os.getpid()}.sqlite3")
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
else:
    raise ConfigurationError("DATABASE_URL must point to SQLite or PostgreSQL")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work and cache --------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
HUEY_WORKERS = env_int("HUEY_WORKERS", default=2, minimum=1)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_QUEUE_NAME", "townsquare"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread"},
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "townsquare",
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "townsquare",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread"},
    }
    # Shared by every web and worker process of the installation (rate limits need that).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "townsquare_cache",
        }
    }

# --- Authentication -------------------------------------------------------------
AUTH_USER_MODEL = "organisations.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "townsquare.core.passwords.NistPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("FAST_PASSWORD_HASHER", default=False):
    # Only for test runs: hashing cost is not what tests check.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "console:home"

ACCOUNT_ADAPTER = "townsquare.organisations.adapters.StaffAccountAdapter"
SOCIALACCOUNT_ADAPTER = "townsquare.organisations.adapters.StaffSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": env_str("LOGIN_RATE_LIMIT_IP", "30/m/ip"),
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Townsquare")
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", ["administrator", "approver"])

SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = True
# Staff who already have an account sign in through SSO when the identity provider
# vouches for their e-mail address (email_verified); the link is then remembered.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL")
if OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "government-sso"),
                "name": env_str("OIDC_NAME", "Government single sign-on"),
                "client_id": env_str("OIDC_CLIENT_ID"),
                "secret": env_str("OIDC_CLIENT_SECRET"),
                "settings": {
                    "server_url": OIDC_SERVER_URL,
                    "token_auth_method": env_str("OIDC_TOKEN_AUTH_METHOD", "client_secret_post"),
                },
            }
        ],
    }
    if not env_str("OIDC_CLIENT_ID"):
        raise ConfigurationError("OIDC_SERVER_URL is set but OIDC_CLIENT_ID is not")
# Only people who already have a staff account may sign in through SSO unless the
# operator opts in to creating accounts on first sign-in.
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", default=False)

# --- Security headers and cookies -------------------------------------------------
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=8 * 3600, minimum=300)
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
if env_bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Languages, time ----------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", "English"), ("ar", "العربية"), ("zh-hans", "简体中文")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ConfigurationError("LANGUAGE_CODE must be one of en, ar, zh-hans")
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["townsquare.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")

# --- Static and media files -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Media library (townsquare.media): files are stored under MEDIA_ROOT/<aa>/<sha256>.
MEDIA_MAX_IMAGE_BYTES = env_int("MEDIA_MAX_IMAGE_BYTES", default=20 * 1024 * 1024, minimum=1024)
MEDIA_MAX_VIDEO_BYTES = env_int("MEDIA_MAX_VIDEO_BYTES", default=200 * 1024 * 1024, minimum=1024)
# Width × height; checked on the declared size before any pixel is decoded.
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", default=40_000_000, minimum=10_000)
# Signed links networks fetch media from (Instagram) stop working after this many hours.
PUBLIC_MEDIA_LINK_HOURS = env_int("PUBLIC_MEDIA_LINK_HOURS", default=24, minimum=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    # Embedded mode writes each mail as a file that staff can open (DATA_DIR/mail).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Townsquare <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API --------------------------------------------------------------------------
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", default=365, minimum=1)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", default=50, minimum=1)

# --- Publishing -------------------------------------------------------------------
# Roles that may publish an emergency post at once (reviewed afterwards).
PUBLISHING_EMERGENCY_ROLES = env_list("PUBLISHING_EMERGENCY_ROLES", ["administrator", "approver"])
# Attempts per variant for temporary faults (rate limits, timeouts) before it fails.
PUBLISHING_MAX_ATTEMPTS = env_int("PUBLISHING_MAX_ATTEMPTS", default=6, minimum=1)

# --- Surveys and polls (townsquare.engagement) ------------------------------------------
# Cross-tab cells counting fewer respondents than this are hidden.
ENGAGEMENT_SMALL_CELL_K = env_int("ENGAGEMENT_SMALL_CELL_K", default=10, minimum=2)
# Answers and votes accepted per hour from one network address, and from one person.
ENGAGEMENT_RATE_PER_ADDRESS = env_int("ENGAGEMENT_RATE_PER_ADDRESS", default=120, minimum=1)
ENGAGEMENT_RATE_PER_PERSON = env_int("ENGAGEMENT_RATE_PER_PERSON", default=60, minimum=1)
# The licence the open-data JSON of published survey results is released under.
ENGAGEMENT_OPEN_DATA_LICENCE = env_str("ENGAGEMENT_OPEN_DATA_LICENCE", "CC-BY-4.0")
ENGAGEMENT_OPEN_DATA_LICENCE_URL = env_str("ENGAGEMENT_OPEN_DATA_LICENCE_URL",
                                           "https://creativecommons.org/licenses/by/4.0/")
# Formal consultation responses: the largest attachment (PDF or image) accepted.
CONSULTATION_ATTACHMENT_MAX_BYTES = env_int("CONSULTATION_ATTACHMENT_MAX_BYTES",
                                            default=10 * 1024 * 1024, minimum=1024)
# Largest file a citizen may attach to a survey's file question (each question may set less).
ENGAGEMENT_UPLOAD_MAX_BYTES = env_int("ENGAGEMENT_UPLOAD_MAX_BYTES",
                                      default=10 * 1024 * 1024, minimum=1024)
# SMS codes for verified respondents: the country calling code put in front of numbers
# typed without + or 00 (empty: such numbers are refused), the national trunk prefix they
# lose ("0" in most countries, "1" in North America), and codes texted per hour to one
# number and from one network address (each text costs money and reaches a person).
ENGAGEMENT_SMS_COUNTRY_CODE = env_str("ENGAGEMENT_SMS_COUNTRY_CODE", "").lstrip("+")
if ENGAGEMENT_SMS_COUNTRY_CODE and not (ENGAGEMENT_SMS_COUNTRY_CODE.isdecimal()
                                        and ENGAGEMENT_SMS_COUNTRY_CODE.isascii()
                                        and len(ENGAGEMENT_SMS_COUNTRY_CODE) <= 3
                                        and not ENGAGEMENT_SMS_COUNTRY_CODE.startswith("0")):
    raise ConfigurationError("ENGAGEMENT_SMS_COUNTRY_CODE must be 1 to 3 digits, such as 971")
ENGAGEMENT_SMS_TRUNK_PREFIX = env_str("ENGAGEMENT_SMS_TRUNK_PREFIX", "0")
if len(ENGAGEMENT_SMS_TRUNK_PREFIX) > 2 or not (ENGAGEMENT_SMS_TRUNK_PREFIX.isascii() and (
        ENGAGEMENT_SMS_TRUNK_PREFIX.isdecimal() or not ENGAGEMENT_SMS_TRUNK_PREFIX)):
    raise ConfigurationError("ENGAGEMENT_SMS_TRUNK_PREFIX must be empty or 1 to 2 digits")
ENGAGEMENT_SMS_CODES_PER_NUMBER = env_int("ENGAGEMENT_SMS_CODES_PER_NUMBER", default=5, minimum=1)
ENGAGEMENT_SMS_CODES_PER_ADDRESS = env_int("ENGAGEMENT_SMS_CODES_PER_ADDRESS", default=30,
                                           minimum=1)

# --- Sandbox network (a local Mastodon-compatible network for the demo and tests) ---
SANDBOX_MESSAGES_PER_MINUTE = env_int(
    "SANDBOX_MESSAGES_PER_MINUTE", default=0 if PRODUCTION else 6, minimum=0
)
# A sandbox streaming connection closes after this long (clients reconnect); longer than
# LISTENING_STREAM_SECONDS, so listening's reader is the one that hangs up.
SANDBOX_STREAM_SECONDS = env_int("SANDBOX_STREAM_SECONDS", default=60, minimum=1)
NINJA_PAGINATION_MAX_LIMIT = 200

# --- Channels ---------------------------------------------------------------------
def _channel_keys() -> list[str]:
    keys = [k.strip() for k in env_str("CHANNEL_ENCRYPTION_KEYS").split(",") if k.strip()]
    if keys:
        return keys
    if PRODUCTION:
        raise ConfigurationError(
            "CHANNEL_ENCRYPTION_KEYS (or CHANNEL_ENCRYPTION_KEYS_FILE) must be set in production"
        )
    key_file = DATA_DIR / "channel_keys"
    if not key_file.exists():
        from cryptography.fernet import Fernet

        key_file.write_text(Fernet.generate_key().decode("ascii"), encoding="utf-8")
        key_file.chmod(0o600)
    return [k.strip() for k in key_file.read_text(encoding="utf-8").split(",") if k.strip()]


CHANNEL_ENCRYPTION_KEYS = _channel_keys()
# The installation's OAuth application per network (registered with the network once):
# OAUTH_<NETWORK>_CLIENT_ID and OAUTH_<NETWORK>_CLIENT_SECRET (or _FILE).
CHANNEL_OAUTH_APPS = {
    network: {
        "client_id": env_str(f"OAUTH_{network.upper()}_CLIENT_ID"),
        "client_secret": env_str(f"OAUTH_{network.upper()}_CLIENT_SECRET"),
    }
    for network in ("mastodon", "x", "facebook", "instagram", "weibo")
    if env_str(f"OAUTH_{network.upper()}_CLIENT_ID")
}
# Every account's owner re-confirms it this often (months); then it goes under review.
ACCOUNT_REVIEW_MONTHS = env_int("ACCOUNT_REVIEW_MONTHS", default=6, minimum=1)
# Account health and ghost-account thresholds: HEALTH_GHOST_IDLE_DAYS, … (README).
from townsquare.channels.health_config import health_thresholds_from_env  # noqa: E402

CHANNEL_HEALTH = health_thresholds_from_env()
# Shared secrets for app-wide webhook endpoints (/webhooks/<network>/), e.g. the Meta app
# secret: WEBHOOK_SECRET_FACEBOOK, WEBHOOK_SECRET_INSTAGRAM, WEBHOOK_SECRET_WHATSAPP, …
WEBHOOK_SECRETS = {
    network: env_str(f"WEBHOOK_SECRET_{network.upper()}")
    for network in ("facebook", "instagram", "whatsapp", "telegram", "wechat", "sms")
    if env_str(f"WEBHOOK_SECRET_{network.upper()}")
}
# Tokens that subscription challenges must echo (Meta's "verify token"), when they differ
# from the signing secret: WEBHOOK_VERIFY_TOKEN_FACEBOOK, …
WEBHOOK_VERIFY_TOKENS = {
    network: env_str(f"WEBHOOK_VERIFY_TOKEN_{network.upper()}")
    for network in ("facebook", "instagram", "whatsapp")
    if env_str(f"WEBHOOK_VERIFY_TOKEN_{network.upper()}")
}
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024, minimum=1024)

# --- Records archive ----------------------------------------------------------------
def _archive_signing_key() -> str:
    """Base64 of the raw 32-byte Ed25519 private key that signs chain checkpoints."""
    import base64
    import binascii

    key = env_str("ARCHIVE_SIGNING_KEY").strip()
    if not key:
        if PRODUCTION:
            raise ConfigurationError(
                "ARCHIVE_SIGNING_KEY (or ARCHIVE_SIGNING_KEY_FILE) must be set in production"
            )
        # Embedded mode: one key per installation, generated once beside the database.
        key_file = DATA_DIR / "archive_signing_key"
        if not key_file.exists():
            from townsquare.archive.signing import generate_key_base64

            key_file.write_text(generate_key_base64(), encoding="utf-8")
            key_file.chmod(0o600)
        key = key_file.read_text(encoding="utf-8").strip()
    try:
        valid = len(base64.b64decode(key, validate=True)) == 32
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise ConfigurationError(
            "ARCHIVE_SIGNING_KEY must be the base64 of a raw 32-byte Ed25519 private key"
        )
    return key


ARCHIVE_SIGNING_KEY = _archive_signing_key()
ARCHIVE_MEDIA_ROOT = Path(env_str("ARCHIVE_MEDIA_ROOT", str(DATA_DIR / "archive" / "media")))
# A signed checkpoint after this many chain entries (and at least every 10 minutes).
ARCHIVE_CHECKPOINT_EVERY = env_int("ARCHIVE_CHECKPOINT_EVERY", default=1000, minimum=1)
# Inbound items edited or deleted on the network this recently are re-read into the archive.
ARCHIVE_RECAPTURE_DAYS = env_int("ARCHIVE_RECAPTURE_DAYS", default=30, minimum=1)
# Data-subject requests (access, erasure): days allowed to answer, and where exports go.
ARCHIVE_SUBJECT_REQUEST_DAYS = env_int("ARCHIVE_SUBJECT_REQUEST_DAYS", default=30, minimum=1)
ARCHIVE_SUBJECT_EXPORT_ROOT = Path(env_str(
    "ARCHIVE_SUBJECT_EXPORT_ROOT", str(DATA_DIR / "archive" / "subject-exports")))
# Records requests: the statutory deadline in working days (Monday to Friday) after receipt,
# and how many calendar days before it the assigned officer is warned.
ARCHIVE_REQUEST_DEADLINE_DAYS = env_int("ARCHIVE_REQUEST_DEADLINE_DAYS", default=20, minimum=1)
ARCHIVE_REQUEST_WARN_DAYS = env_int("ARCHIVE_REQUEST_WARN_DAYS", default=3, minimum=1)
# Export packages (zip files) for records requests; partial files are built beside them.
ARCHIVE_EXPORT_ROOT = Path(env_str("ARCHIVE_EXPORT_ROOT", str(DATA_DIR / "archive" / "exports")))

# --- Ingest pipeline (townsquare.ingest) -------------------------------------------
INGEST_BATCH_SIZE = env_int("INGEST_BATCH_SIZE", default=500, minimum=1)
# Longer texts go to the dead-letter table (raw payload kept) instead of the inbox.
INGEST_MAX_TEXT_CHARS = env_int("INGEST_MAX_TEXT_CHARS", default=40_000, minimum=280)
# A batch claimed by a worker that died is retried after this many seconds.
INGEST_LEASE_SECONDS = env_int("INGEST_LEASE_SECONDS", default=300, minimum=5)
# Enrichment processes of the embedded pipeline (0: enrich in the writing process).
INGEST_ENRICH_WORKERS = env_int("INGEST_ENRICH_WORKERS", default=0, minimum=0)
# News feeds read by listening may point at loopback (tests, local demos); never private
# networks. Off by default: a feed address is typed by staff.
LISTENING_FEEDS_ALLOW_LOOPBACK = env_bool("LISTENING_FEEDS_ALLOW_LOOPBACK", default=False)
# Live streams: how long one run reads an account's stream, and how many posts at most.
LISTENING_STREAM_SECONDS = env_int("LISTENING_STREAM_SECONDS", default=45, minimum=1)
LISTENING_STREAM_MAX_ITEMS = env_int("LISTENING_STREAM_MAX_ITEMS", default=500, minimum=1)

# --- Language models (townsquare.nlp) -----------------------------------------------
# NLP_SENTIMENT_BACKEND (linear | onnx) and NLP_ONNX_MODEL_DIR are read by townsquare.nlp
# itself, because ingest enrichment workers run without Django; checked here (files,
# labels, optional packages; the model is loaded on first use) so a wrong value stops
# start-up with a clear message instead of failing on the first message.
from townsquare.nlp.backends import BackendError, check_configuration  # noqa: E402

try:
    NLP_SENTIMENT_BACKEND = check_configuration()
except BackendError as _nlp_error:
    raise ConfigurationError(str(_nlp_error)) from _nlp_error


# --- Inbox (townsquare.inbox) -----------------------------------------------------
def _router_threshold() -> float:
    raw = os.environ.get("INBOX_ROUTER_THRESHOLD", "").strip() or "0.6"
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"INBOX_ROUTER_THRESHOLD={raw!r} must be a number") from None
    if not 0.0 < value <= 1.0:  # also refuses nan
        raise ConfigurationError(
            f"INBOX_ROUTER_THRESHOLD={raw!r} must be above 0 and at most 1")
    return value


# The learned router sends a message on when its top confidence reaches this (and the
# learned topic classifier overrides the keyword topic from this confidence on).
INBOX_ROUTER_THRESHOLD = _router_threshold()

# --- Logging ----------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "townsquare.core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The Huey consumer installs its own handler; don't print every line twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}
