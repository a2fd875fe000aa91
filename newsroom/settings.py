"""Settings for newsroom, configured by environment variables.

The defaults give the embedded site: SQLite, media on local disk and an
in-process cache. DATABASE_URL and REDIS_URL switch services on.

DJANGO_DEV=1 (set by `make run` and `make test`) turns on DEBUG, a development
secret key and localhost hosts. Without it the site is in production mode and
refuses to start unless DJANGO_SECRET_KEY and ALLOWED_HOSTS are set.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
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
        raise ImproperlyConfigured(f"{name} must be set (see README, Configuration).")
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
SITE_NAME = "Pakistan Christian TV"
SITE_TAGLINE = (
    "Breaking news and world news from Pakistan Christian TV on Business, "
    "Sports, Culture. Video news. News from the US, Europe, Asia Pacific, "
    "Africa, Middle East, America."
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Trigram lookups for search on PostgreSQL; inert on SQLite.
    "django.contrib.postgres",
    "taggit",
    "reversion",
    "django_prose_editor",
    "articles",
    "accounts",
]

MIDDLEWARE = [
    "newsroom.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsroom.security.content_security_policy",
    # Anonymous readers' pages from the page cache; see articles/pagecache.py.
    "articles.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy on every page but the admin's (see
# newsroom/security.py): scripts only from this site, no plugins, no framing,
# forms post only here. Pictures and MP4s may come from object storage or a
# CDN over https; players from YouTube's no-cookie domain and Vimeo. Style
# attributes are allowed: pictures set their focal point with one.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: https:",
    "media-src": "'self' https:",
    "frame-src": "https://www.youtube-nocookie.com https://player.vimeo.com",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

if not DEV:
    # Static files with hashed names, compressed, cached for a year; in
    # development runserver serves them from static/ as they are edited.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "newsroom.urls"
# django-taggit's Tag has no get_absolute_url(): Django makes
# articles.models.tag_url() its own, so pages, feeds and sitemaps link a tag
# one way. Looked up when first called, as settings load before the apps.
ABSOLUTE_URL_OVERRIDES = {
    "taggit.tag": lambda tag: import_string("articles.models.tag_url")(tag)
}

# Readers' pages (templates/) are Jinja2 templates: several times faster
# than Django's for pages of many story cards (see articles/jinja.py). The
# admin, and the admin pages of ours in articles/templates/, use Django's.
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
            "BACKEND": "django_redis.cache.RedisCache",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Karachi")
USE_I18N = True
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
# does not compress source maps, which only developer tools fetch: a third
# of the time and half the disk.
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

# Uploads larger than this are refused before they reach a form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Limits on files uploaded in the admin, checked by articles/uploads.py. The
# pixel limit refuses decompression bombs before Pillow decodes them.
IMAGE_UPLOAD_MAX_BYTES = env_int("IMAGE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env_int("IMAGE_UPLOAD_MAX_PIXELS", 40_000_000)
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
    },
}
