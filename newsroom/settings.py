"""Settings for newsroom, configured by environment variables.

The defaults give the embedded site: SQLite, media on local disk and an
in-process cache. DATABASE_URL and REDIS_URL switch services on.

DJANGO_DEV=1 (set by `make run` and `make test`) turns on DEBUG, a development
secret key and localhost hosts. Without it the site is in production mode and
refuses to start unless DJANGO_SECRET_KEY and ALLOWED_HOSTS are set.
"""

import os
import re
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default or [])


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}."
        ) from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None
    if not 0 <= number < 3600:
        raise ImproperlyConfigured(f"{name} must be from 0 to 3600, not {value!r}.")
    return number


def env_required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set (see docs/operators.md, Configuration)."
        )
    return value


def env_match(name: str, pattern: str, example: str) -> str | None:
    """The variable's value if it matches `pattern` in full; None when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not re.fullmatch(pattern, value):
        raise ImproperlyConfigured(f"{name} must look like {example}, not {value!r}.")
    return value


DEV = env_bool("DJANGO_DEV")
DEBUG = env_bool("DJANGO_DEBUG", default=DEV)

if DEV:
    SECRET_KEY = os.environ.get(
        "DJANGO_SECRET_KEY", "dev-only-insecure-key-never-used-without-DJANGO_DEV"
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env_required("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be at least 50 characters long."
        )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set (comma-separated).")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Where the admin lives: a less obvious address keeps the crowd of password
# guessers off the login page (it is no substitute for the throttling and
# two-factor sign-in below).
ADMIN_URL = env_match("ADMIN_URL", r"([\w-]+/)+", "desk/") or "admin/"

# The public address of the site, used for absolute links outside a request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# In English; pages and feeds show them in their language (gettext_noop
# marks them for the catalogue in locale/).
SITE_NAME = gettext_noop("Pakistan Christian TV")
SITE_TAGLINE = gettext_noop(
    "Breaking news and world news from Pakistan Christian TV on Business, "
    "Sports, Culture. Video news. News from the US, Europe, Asia Pacific, "
    "Africa, Middle East, America."
)

INSTALLED_APPS = [
    # First, so its admin/base_site.html (the links in the admin's user
    # tools) is found before the admin's own.
    "accounts",
    # Django's admin, with the desk as its first page.
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # Django's sessions with the user, address and browser on each row, so
    # staff can see and end their sessions (accounts/sessions.py).
    "qsessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Trigram lookups for search on PostgreSQL; inert on SQLite.
    "django.contrib.postgres",
    "newsroom.apps.TagsConfig",  # django-taggit, named "Tags" in the admin
    "reversion",
    "django_prose_editor",
    # Second factors for staff: authenticator apps (TOTP), recovery codes
    # (static tokens) and passkeys (WebAuthn); see accounts/twofactor.py.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "articles",
    # Live coverage of developing stories.
    "live",
    # Breaking news and the daily digest by e-mail.
    "alerts",
    # Sign-in throttling and lockout (accounts/lockout.py).
    "axes",
]

MIDDLEWARE = [
    "newsroom.requestlog.RequestLogMiddleware",
    # /healthz and /readyz for a load balancer probing by IP address, before
    # anything validates the Host; see newsroom/health.py.
    "newsroom.health.probes_first",
    # An unreachable database: 503 and the branded page (newsroom/outage.py).
    "newsroom.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsroom.security.content_security_policy",
    # 400 for a NUL character in the request, or a huge integer in an admin
    # filter, before it reaches a query (the database would raise an error
    # rather than answer); see newsroom/security.py.
    "newsroom.security.refuse_unusable_input",
    # The page's language from its address alone (/ur/ is Urdu); see
    # newsroom/languages.py.
    "newsroom.languages.language_from_path",
    # Anonymous readers' pages from the page cache; see articles/pagecache.py.
    "articles.pagecache.PageCacheMiddleware",
    "accounts.sessions.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed a second factor?
    "django_otp.middleware.OTPMiddleware",
    # A session that has passed the password but not the second factor it
    # needs reaches only the sign-in steps (accounts/middleware.py).
    "accounts.middleware.second_factor",
    # Role changes recorded in the audit log name who made them.
    "accounts.audit.actor_middleware",
    # Sign-in POSTs wait for no one: over LOGIN_PASSWORD_CHECKS at once, 429.
    "accounts.passwordslots.password_check_slots",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a refused sign-in into the "locked out" page; last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on readers' pages (see newsroom/security.py):
# scripts and styles only from this site (no inline ones: pictures set their
# focal point with classes, articles_tags.focal_classes), no plugins, no framing,
# forms post only here. Pictures and MP4s may come from object storage or a
# CDN over https; players from YouTube's no-cookie domain and Vimeo.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https:",
    "media-src": "'self' https:",
    "frame-src": "https://www.youtube-nocookie.com https://player.vimeo.com",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# The admin's policy: inline scripts only with the response's nonce ({nonce},
# filled in per response; the prose editor's import map needs it, Django's
# admin has none). Inline styles stay allowed here: Django's change list
# writes a <style> block, the prose editor (Tiptap) injects one with no way
# to give it a nonce, and admin previews set sizes in style attributes; a
# nonce in style-src would switch 'unsafe-inline' off. Uploads' previews
# come from object storage; fetch() (autocomplete, passkeys) only to this
# site. Related-object popups are windows, not frames, so the admin is never
# framed (frame-ancestors overrides X-Frame-Options: DENY, so it says 'none'
# too).
ADMIN_CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-{nonce}'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: https:",
    "media-src": "'self' https:",
    "connect-src": "'self'",
    "frame-src": "'none'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Permissions-Policy: browser features the site never uses are off for it
# and anything it embeds (a script injected by an XSS or a hostile embed
# cannot ask for the camera or the location). Kept: fullscreen,
# picture-in-picture and encrypted media for the site's own <video> and the
# YouTube and Vimeo players (their iframes ask for these in `allow`).
# Autoplay is off: no player starts by itself, and a reader's click in a
# player is a gesture that needs no permission. Passkeys (publickey-
# credentials-*) only on the admin, for the site itself. Only features
# Chromium knows are listed, so it logs no "Unrecognized feature" error: it
# has no `bluetooth` feature (Web Bluetooth asks the reader each time).
_PLAYERS = '(self "https://www.youtube-nocookie.com" "https://player.vimeo.com")'
_OFF = [
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "clipboard-read",
    "display-capture",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "identity-credentials-get",
    "idle-detection",
    "interest-cohort",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "otp-credentials",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "window-management",
    "xr-spatial-tracking",
]
_PLAYER_FEATURES = ["encrypted-media", "fullscreen", "picture-in-picture"]
PERMISSIONS_POLICY = ", ".join(
    [f"{feature}=()" for feature in _OFF]
    + [f"{feature}={_PLAYERS}" for feature in _PLAYER_FEATURES]
    + ["publickey-credentials-create=()", "publickey-credentials-get=()"]
)
ADMIN_PERMISSIONS_POLICY = ", ".join(
    [f"{feature}=()" for feature in _OFF]
    + [f"{feature}=(self)" for feature in _PLAYER_FEATURES]
    + ["publickey-credentials-create=(self)", "publickey-credentials-get=(self)"]
)

if not DEV:
    # Static files with hashed names, compressed, cached for a year; in
    # development runserver serves them from static/ as they are edited.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "newsroom.urls"
# django-taggit's Tag has no get_absolute_url(): Django makes
# articles.models.tag_url() its own, so pages, feeds and sitemaps link a tag
# one way. Looked up when first called, as settings load before the apps.
ABSOLUTE_URL_OVERRIDES = {
    "taggit.tag": lambda tag: import_string("articles.models.tag_url")(tag)
}

# Readers' pages (templates/) are Jinja2 templates: faster than Django's
# for pages of many story cards (see articles/jinja.py). The admin, and
# the admin pages of ours in articles/templates/ and accounts/templates/,
# use Django's.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "articles.jinja.environment",
            "context_processors": ["articles.context_processors.site"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {{ csp_nonce }} for inline scripts in the admin.
                "newsroom.security.csp_nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "newsroom.cache"
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "REDIS_URL must start with redis://, rediss:// or unix://."
        )
    CACHES = {
        "default": {
            # django-redis with a circuit breaker (newsroom/cache.py).
            "BACKEND": "newsroom.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            "OPTIONS": {
                # If Redis goes away the site keeps serving, uncached, and
                # logs it; the client reconnects by itself when it is back.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }
# A Redis that stops answering (hung rather than gone, so each call would
# wait SOCKET_TIMEOUT) is left alone by each worker after this many failed
# calls in a row: cache calls are misses and no-ops at once, and after
# CACHE_BREAKER_SECONDS one call tries it again (see newsroom/cache.py).
CACHE_BREAKER_FAILURES = env_int("CACHE_BREAKER_FAILURES", 2)
CACHE_BREAKER_SECONDS = env_float("CACHE_BREAKER_SECONDS", 5)
if CACHE_BREAKER_FAILURES < 1:
    raise ImproperlyConfigured("CACHE_BREAKER_FAILURES must be at least 1.")

# The lockout check comes first: a locked-out name and address is refused
# before the password is hashed, so guesses cost no CPU once refused.
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in lockout (django-axes, see accounts/lockout.py). A username and
# address pair is locked out after LOGIN_FAILURE_LIMIT wrong passwords, and a
# username from any address after LOGIN_FAILURE_LIMIT_PER_USERNAME (so many
# addresses cannot guess for ever), until LOGIN_LOCKOUT_MINUTES have passed
# since the last failure or an administrator lifts it in the admin's
# "Access attempts". The address is the one requestlog takes
# (USE_X_FORWARDED_FOR decides whether the proxy's header is trusted).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_USERNAME = env_int("LOGIN_FAILURE_LIMIT_PER_USERNAME", 30)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
for name in ("LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_LIMIT_PER_USERNAME"):
    if globals()[name] < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1.")
if LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_LOCKOUT_MINUTES must be at least 1.")
# How many password checks (slow hashes) may run at once on this machine,
# across all workers and app servers; more sign-in POSTs are answered 429
# unchecked (accounts/passwordslots.py). Default: half the CPUs.
cpus = (
    len(os.sched_getaffinity(0))
    if hasattr(os, "sched_getaffinity")
    else os.cpu_count() or 1
)
LOGIN_PASSWORD_CHECKS = env_int("LOGIN_PASSWORD_CHECKS", max(1, cpus // 2))
if LOGIN_PASSWORD_CHECKS < 1:
    raise ImproperlyConfigured("LOGIN_PASSWORD_CHECKS must be at least 1.")
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# In this order: accounts/lockout.py reads the pair's count, then the name's.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "newsroom.requestlog.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_page"
# A refused try during a lockout does not extend it, so the page can say
# when it ends; a right password does not clear other addresses' failures.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
# accounts/admin.py shows the attempts, with a "Lift lockout" action.
AXES_ENABLE_ADMIN = False
# Axes logs each attempt itself; the audit log (accounts) has the sign-ins.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Sessions are staff's only (readers get no cookie). One ends after
# STAFF_SESSION_IDLE_SECONDS without a request: a session in use is saved
# again every minute (accounts/sessions.py), which moves its expiry on.
SESSION_ENGINE = "qsessions.backends.db"
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 12 * 3600)
if STAFF_SESSION_IDLE_SECONDS < 300:
    raise ImproperlyConfigured("STAFF_SESSION_IDLE_SECONDS must be at least 300.")
SESSION_COOKIE_AGE = STAFF_SESSION_IDLE_SECONDS

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# E-mail (alerts/): any SMTP server through Django's SMTP backend, or
# another backend by its dotted path in EMAIL_BACKEND.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Pakistan Christian TV <news@localhost>"
)
# At most one breaking e-mail per this many seconds (the editor is told).
ALERT_EMAIL_MIN_INTERVAL = env_int("ALERT_EMAIL_MIN_INTERVAL", 15 * 60)
# Messages per SMTP connection; attempts when the server is unreachable, and
# the first pause between them (doubled each time).
ALERT_EMAIL_BATCH_SIZE = env_int("ALERT_EMAIL_BATCH_SIZE", 100)
ALERT_EMAIL_RETRIES = env_int("ALERT_EMAIL_RETRIES", 3)
ALERT_EMAIL_RETRY_DELAY = env_float("ALERT_EMAIL_RETRY_DELAY", 5.0)
# At most one confirmation e-mail per address per this many seconds.
ALERT_CONFIRM_INTERVAL = env_int("ALERT_CONFIRM_INTERVAL", 10 * 60)

# Web push (alerts/push.py). VAPID_PRIVATE_KEY turns it on: make one with
# `manage.py vapid_key`, and never change it (browsers' subscriptions are tied
# to it). In development a key is made from the development SECRET_KEY.
VAPID_PRIVATE_KEY = (
    env_match("VAPID_PRIVATE_KEY", r"[A-Za-z0-9_-]{43}", "43 base64url characters")
    or ""
)
# Who push services may contact about the site's messages.
VAPID_SUBJECT = os.environ.get(
    "VAPID_SUBJECT", "mailto:" + parseaddr(DEFAULT_FROM_EMAIL)[1]
)
# The push services subscriptions may point at: the site posts to nothing else.
PUSH_SERVICE_ORIGINS = env_list(
    "PUSH_SERVICE_ORIGINS",
    [
        "https://fcm.googleapis.com",
        "https://updates.push.services.mozilla.com",
        "https://*.push.apple.com",
        "https://*.notify.windows.com",
    ],
)
# At most one push alert per this many seconds; how long a push service keeps
# an alert for a device that is off; parallel requests; a request's timeout;
# attempts after a 429, a 5xx or a timeout, and the first pause between them.
ALERT_PUSH_MIN_INTERVAL = env_int("ALERT_PUSH_MIN_INTERVAL", 15 * 60)
ALERT_PUSH_TTL = env_int("ALERT_PUSH_TTL", 6 * 3600)
ALERT_PUSH_WORKERS = env_int("ALERT_PUSH_WORKERS", 20)
ALERT_PUSH_TIMEOUT = env_float("ALERT_PUSH_TIMEOUT", 10.0)
ALERT_PUSH_RETRIES = env_int("ALERT_PUSH_RETRIES", 2)
ALERT_PUSH_RETRY_DELAY = env_float("ALERT_PUSH_RETRY_DELAY", 2.0)

LANGUAGE_CODE = "en"
# English pages keep their addresses; Urdu pages live under /ur/. Each
# language's name is written in that language, as the language switch shows it.
LANGUAGES = [("en", "English"), ("ur", "اردو")]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Karachi")
USE_I18N = True
# The interface's Urdu (locale/ur/LC_MESSAGES/django.po; `make messages`
# updates it) and the dates' formats of each language (newsroom/formats/).
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["newsroom.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploads are public and nginx (another user) serves them from MEDIA_ROOT:
# readable by all whatever the app's umask (the systemd unit's is 0027).
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEV
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# collectstatic keeps only the hashed copies (the only names pages use) and
# does not compress source maps, which only developer tools fetch: much of
# its time and disk went on those.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ("map", *Compressor.SKIP_COMPRESS_EXTENSIONS)


# Media on S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, ...)
# when a bucket is named; local disk under MEDIA_ROOT otherwise. boto3 reads
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment itself
# (or uses the machine's role when both are unset).
AWS_STORAGE_BUCKET_NAME = env_match(
    "AWS_STORAGE_BUCKET_NAME", r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "news-media"
)
s3_rules = {
    "AWS_S3_ENDPOINT_URL": (r"https?://[\w.-]+(:\d{1,5})?/?", "https://s3.example.com"),
    "AWS_S3_REGION_NAME": (r"[a-z0-9-]+", "eu-central-1"),
    "AWS_S3_CUSTOM_DOMAIN": (r"[\w.-]+(:\d{1,5})?", "media.example.com"),
    "AWS_S3_ADDRESSING_STYLE": (r"auto|path|virtual", "auto, path or virtual"),
}
if AWS_STORAGE_BUCKET_NAME:
    endpoint_url, region_name, custom_domain, addressing_style = (
        env_match(name, *rule) for name, rule in s3_rules.items()
    )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": endpoint_url,
            "region_name": region_name,
            "custom_domain": custom_domain,
            "addressing_style": addressing_style,
            # Public media: plain URLs a CDN can cache. Turn on for a private
            # bucket to get signed, expiring URLs instead.
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH"),
            # Buckets with ACLs disabled (the S3 default) refuse requests
            # that set one; the bucket policy decides who reads.
            "default_acl": None,
            # Two uploads called photo.jpg must not replace one another.
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=604800"},
        },
    }
    if bool(os.environ.get("AWS_ACCESS_KEY_ID")) != bool(
        os.environ.get("AWS_SECRET_ACCESS_KEY")
    ):
        raise ImproperlyConfigured(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together."
        )
else:
    for name in s3_rules:
        if os.environ.get(name, "").strip():
            raise ImproperlyConfigured(
                f"{name} is set but AWS_STORAGE_BUCKET_NAME is not; name the "
                "bucket to keep media there."
            )

# Optional read replica: pages read from it; writes, migrations and editors'
# requests use the primary (see newsroom/routers.py).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    try:
        replica = dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    except ValueError as error:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not valid: {error}"
        ) from None
    # Under test the replica reads the primary's test database.
    DATABASES["replica"] = replica | {"TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["newsroom.routers.ReplicaRouter"]
    MIDDLEWARE.insert(0, "newsroom.routers.primary_for_editors")

# A database server that does not answer fails a request (or /readyz, or the
# replica check) in seconds, not after the kernel gives up on TCP; a URL's
# ?connect_timeout= overrides it.
for database in DATABASES.values():
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)

# Two-factor sign-in for staff (accounts/twofactor.py). When required,
# every staff member must add a passkey or an authenticator app after their
# password before any admin page opens; when not, those who have added one
# must still use it. On in production, off in development and tests.
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", default=not DEV)

# Passkeys belong to a domain, the relying party ID: the site's own (or a
# parent) domain, e.g. news.example.com. It defaults to SITE_URL's host; an
# IP address cannot have passkeys, so then "localhost" (browse to
# http://localhost:8000 to use them locally). Changing it later makes every
# passkey useless: staff then sign in with a code and add a new one.
site_url = urlsplit(SITE_URL)
site_host = site_url.hostname or "localhost"
if re.fullmatch(r"[\d.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*", site_host):
    site_host = "localhost"
OTP_WEBAUTHN_RP_ID = (
    env_match("OTP_WEBAUTHN_RP_ID", r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", "example.com")
    or site_host
)
OTP_WEBAUTHN_RP_NAME = f"{SITE_NAME} newsroom"
# The addresses (scheme, host, port) staff sign in at, comma-separated;
# defaults to SITE_URL's (with localhost for an IP address). They must be
# https:// or http://localhost. In development the address a request came
# to is allowed too, whatever its port (accounts/webauthn.py).
site_port = f":{site_url.port}" if site_url.port else ""
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "OTP_WEBAUTHN_ALLOWED_ORIGINS", [f"{site_url.scheme}://{site_host}{site_port}"]
)
OTP_WEBAUTHN_HELPER_CLASS = "accounts.webauthn.WebAuthnHelper"
# Passkeys here are a second step after the password, never instead of it:
# the password step is where throttling and the sign-in audit happen.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = f"{SITE_NAME} newsroom"
# After each wrong authenticator or recovery code the next try must wait
# twice as long (1 s, 2 s, 4 s, ...): guessing six digits becomes hopeless.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Uploads larger than this are refused before they reach a form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Limits on files uploaded in the admin, checked by articles/uploads.py. The
# pixel limit (all frames of a GIF together) and the decoded-size limit (the
# pixels in a worker's memory: four bytes each in colour, one in grey or a
# palette) refuse decompression bombs before Pillow decodes them; the default
# memory budget is what 40 megapixels in colour take, lower it for small
# workers. A still
# picture with a longer side than IMAGE_UPLOAD_MAX_EDGE is stored at that
# size (renditions go up to 1920 pixels wide).
IMAGE_UPLOAD_MAX_BYTES = env_int("IMAGE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env_int("IMAGE_UPLOAD_MAX_PIXELS", 40_000_000)
IMAGE_UPLOAD_MAX_DECODED_BYTES = env_int(
    "IMAGE_UPLOAD_MAX_DECODED_BYTES", 160 * 1024 * 1024
)
IMAGE_UPLOAD_MAX_EDGE = env_int("IMAGE_UPLOAD_MAX_EDGE", 3840)
VIDEO_UPLOAD_MAX_BYTES = env_int("VIDEO_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)

# Production hardening; `manage.py check --deploy` stays clean with these.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# How long browsers may keep a public page, in seconds; a proxy or CDN keeps
# it as long when no purge backend is configured below, and up to
# PUBLIC_PAGE_EDGE_MAX_AGE when one is: a change purges the pages that show
# it (see articles/purge.py). Both end at the next scheduled change that
# alters the page.
PUBLIC_PAGE_MAX_AGE = env_int("PUBLIC_PAGE_MAX_AGE", 60)
PUBLIC_PAGE_EDGE_MAX_AGE = env_int("PUBLIC_PAGE_EDGE_MAX_AGE", 4 * 3600)
# How long a rendered page may be kept in the app's own page cache; 0 turns
# the page cache off. A change purges the pages that show it at once.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 3600)
# How often a live story's open page asks for new updates (live/), and how
# long the small list it fetches may be kept by browsers and proxies
# (a new update purges it at once from the page cache and the edge).
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 15)
LIVE_UPDATES_MAX_AGE = env_int("LIVE_UPDATES_MAX_AGE", 10)
# How often each worker reads the purges other workers, app servers and
# management commands have made (one small query), in seconds; edge purges
# wait this long, so it is most of the time an edit takes to reach readers.
PURGE_POLL_SECONDS = env_float("PURGE_POLL_SECONDS", 0.5)
# A purge Varnish or the CDN has not taken is retried; after this many
# seconds the whole site is purged instead.
PURGE_GIVE_UP_SECONDS = env_int("PURGE_GIVE_UP_SECONDS", 300)

# Edge caches purged by surrogate key when something changes (see
# articles/edge.py): Varnish servers with vmod xkey, Fastly, Cloudflare. None
# is configured by default; pages then stay no longer at the edge than in
# browsers. The API URLs are the vendors' own; change them only to test.
VARNISH_URLS = [url.rstrip("/") for url in env_list("VARNISH_URLS")]
for url in VARNISH_URLS:
    if not re.fullmatch(r"https?://([\w.-]+|\[[0-9a-fA-F:.]+\])(:\d{1,5})?", url):
        raise ImproperlyConfigured(
            f"VARNISH_URLS must be http(s)://host[:port] addresses, not {url!r}."
        )
FASTLY_SERVICE_ID = env_match("FASTLY_SERVICE_ID", r"[A-Za-z0-9]+", "a1B2c3") or ""
FASTLY_API_TOKEN = os.environ.get("FASTLY_API_TOKEN", "").strip()
FASTLY_API_URL = (
    env_match("FASTLY_API_URL", r"https?://\S+", "https://...")
    or "https://api.fastly.com"
)
CLOUDFLARE_ZONE_ID = env_match("CLOUDFLARE_ZONE_ID", r"[0-9a-f]{32}", "32 hex") or ""
CLOUDFLARE_API_TOKEN = os.environ.get("CLOUDFLARE_API_TOKEN", "").strip()
CLOUDFLARE_API_URL = (
    env_match("CLOUDFLARE_API_URL", r"https?://\S+", "https://...")
    or "https://api.cloudflare.com/client/v4"
)
for service, token in (
    ("FASTLY_SERVICE_ID", "FASTLY_API_TOKEN"),
    ("CLOUDFLARE_ZONE_ID", "CLOUDFLARE_API_TOKEN"),
):
    if bool(globals()[service]) != bool(globals()[token]):
        raise ImproperlyConfigured(f"{service} and {token} must be set together.")
# Seconds a purge request may wait for each connect and each read.
PURGE_TIMEOUT = env_int("PURGE_TIMEOUT", 3)
if PURGE_TIMEOUT < 1:
    raise ImproperlyConfigured("PURGE_TIMEOUT must be at least 1 second.")

# "Most read": view counts gather in the cache (Redis when REDIS_URL is set)
# and are written to the database at most this often, in seconds.
MOST_READ_FLUSH_SECONDS = env_int("MOST_READ_FLUSH_SECONDS", 60)
# Behind a proxy that appends the client address to X-Forwarded-For (nginx's
# $proxy_add_x_forwarded_for), take the reader's address from there when
# telling repeat views apart. Leave off when clients reach gunicorn directly.
USE_X_FORWARDED_FOR = env_bool("USE_X_FORWARDED_FOR")

# Logs go to stdout, one line per request (newsroom/requestlog.py) and per
# error, each with the request id; LOG_FORMAT=json for log collectors.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {LOG_LEVEL!r}."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "newsroom.requestlog.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
            },
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # 4xx answers are already in the request line; keep server errors.
        "django.request": {"level": "ERROR"},
        # runserver's own request lines would repeat ours.
        "django.server": {"level": "WARNING"},
        # A line per sign-in attempt; the audit log (newsroom.audit) has them.
        "axes": {"level": "WARNING"},
    },
}
