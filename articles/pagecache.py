"""Whole-page cache for anonymous readers, and the headers proxies cache by.

Each public page, while it renders, notes the keys of what it shows
(`shows()`: `Article.get_absolute_url()` notes its story, views note their
lists); see purge.py for the keys and how a change purges them. The page is
kept in the default cache (Redis when REDIS_URL is set, so every app server
shares it; this process's memory otherwise) with its keys and the time it
was rendered, and served from there until one of its keys is purged, it
reaches PAGE_CACHE_SECONDS, or a scheduled change that alters it comes due.
Bodies are stored gzipped once, next to the plain ones.

Every public response carries its keys in `Surrogate-Key` (and `Cache-Tag`
for Cloudflare), a short browser lifetime in `Cache-Control`, and the edge
lifetime (hours when a purge backend is configured) in `Surrogate-Control`
and `CDN-Cache-Control`; both end at the next scheduled change that alters
the page. Requests with a session cookie (editors) bypass all of it and get
private, uncacheable responses.
"""

import contextvars
import gzip
import hashlib
import time
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    set_response_etag,
)
from django.views.defaults import page_not_found

from . import edge, purge

# The query parameters that change what a public page shows; any other
# parameter is ignored by the pages, so it must not split the cache either.
KEY_PARAMETERS = ("page", "p", "q", "section", "region", "since", "until", "lang")
# Response headers a stored page keeps (the cache headers are set anew).
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Last-Modified")
# Paths that are never public pages: no cache lookup for them.
UNCACHED_PREFIXES = (
    f"/{settings.ADMIN_URL}",
    "/preview/",
    "/stats/",
    "/static/",
    "/media/",
    # The e-mail alerts' forms and personal links.
    "/alerts/",
    # The same addresses of the other languages' pages (/ur/preview/...).
    *(
        f"/{code}/{path}/"
        for code, _ in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
        for path in ("preview", "stats", "alerts")
    ),
)
UNCACHED_PATHS = ("/healthz", "/readyz")

_shown: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "shown", default=None
)


def shows(*keys: str) -> None:
    """Note that the page being rendered shows what `keys` name."""
    shown = _shown.get()
    if shown is not None:
        shown.update(keys)


def shows_only(*keys: str) -> None:
    """Replace the keys noted so far, for pages that list more stories than
    a header can name (the sitemaps): they are purged by their list's key."""
    shown = _shown.get()
    if shown is not None:
        shown.clear()
        shown.update(keys)


@dataclass(frozen=True)
class Page:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes
    etag: str
    keys: frozenset[str]
    rendered_at: float
    changes_at: float  # The next scheduled change that alters it, or inf.
    expires_at: float

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    def is_current(self) -> bool:
        return self.expires_at > time.time() and purge.log.fresh(
            self.keys, self.rendered_at
        )


def find(key: str) -> Page | None:
    """The current page stored under key, if any."""
    page = cache.get(key)
    return page if page is not None and page.is_current() else None


def page_key(request: HttpRequest) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.path}"
    if request.META.get("QUERY_STRING"):
        query = sorted(
            (name, value)
            for name, values in request.GET.lists()
            if name in KEY_PARAMETERS
            for value in values
        )
        if query:
            address += "?" + urlencode(query)
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"pagecache:page:{digest}"


def is_anonymous_read(request: HttpRequest) -> bool:
    """A GET or HEAD without a session cookie: nobody is signed in, so the
    page is the same for every reader."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def is_storable(response: HttpResponse) -> bool:
    """Only a plain 200 that sets no cookie and did not ask to stay private."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not is_private(response)
    )


def is_private(response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "")
    return "private" in cache_control or "no-store" in cache_control


def cache_headers(status: int, keys: frozenset[str], changes_at: float) -> dict:
    """Lifetimes for browsers and for the edge, and the keys, as headers.
    Only a 200 is kept at the edge for long; both lifetimes end when a
    scheduled change alters the page."""
    remaining = changes_at - time.time()
    edge_age = max(0, int(min(purge.longest_lifetime(), remaining)))
    if status != 200:
        edge_age = min(edge_age, settings.PUBLIC_PAGE_MAX_AGE)
    browser_age = min(settings.PUBLIC_PAGE_MAX_AGE, edge_age)
    ordered = sorted(keys)
    headers = {
        "Cache-Control": f"public, max-age={browser_age}",
        "Surrogate-Control": f"max-age={edge_age}",
        "CDN-Cache-Control": f"max-age={edge_age}",
        "Surrogate-Key": " ".join(ordered),
        "Vary": "Accept-Encoding, Cookie",
    }
    if edge.cloudflare_configured():
        headers["Cache-Tag"] = ",".join(ordered)
    return headers


def store(response: HttpResponse, keys, rendered_at, changes_at, ttl) -> Page:
    body = response.content
    return Page(
        status=response.status_code,
        headers=tuple(
            (name, response[name]) for name in KEPT_HEADERS if response.has_header(name)
        ),
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
        keys=keys,
        rendered_at=rendered_at,
        changes_at=changes_at,
        expires_at=time.time() + ttl,
    )


def respond(request: HttpRequest, page: Page, hit: bool) -> HttpResponse:
    """The stored page, compressed when the reader accepts it, or 304 when
    the reader already has it."""
    accepts_gzip = "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    use_gzip = accepts_gzip and len(page.gzipped) < len(page.body)
    response = HttpResponse(page.gzipped if use_gzip else page.body, status=page.status)
    for name, value in page.headers:
        response[name] = value
    for name, value in cache_headers(page.status, page.keys, page.changes_at).items():
        response[name] = value
    if use_gzip:
        response["Content-Encoding"] = "gzip"
    response["ETag"] = page.etag
    response["X-Page-Cache"] = "hit" if hit else "miss"
    # What CommonMiddleware and XFrameOptionsMiddleware would add: hits are
    # answered before them.
    response["Content-Length"] = str(len(response.content))
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
        return get_conditional_response(request, etag=page.etag, response=response)
    return response


def is_cacheable_path(path: str) -> bool:
    return not path.startswith(UNCACHED_PREFIXES) and path not in UNCACHED_PATHS


class PageCacheMiddleware:
    """Answer anonymous readers from the page cache straight after the
    security middleware (and whitenoise): no session, CSRF, message or
    authentication middleware, URL resolution or view runs for a hit. Every
    request for a page also gives purge.tick() its turn."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_cacheable_path(request.path):
            # Health checks must not wait on the database, nor the admin.
            return self.get_response(request)
        purge.tick()
        if settings.PAGE_CACHE_SECONDS and is_anonymous_read(request):
            page = find(page_key(request))
            if page is not None:
                return respond(request, page, hit=True)
            request.page_cache_missed = True
        return self.get_response(request)


def public_page(view=None, *, max_age: int | None = None):
    """Serve a public page to anonymous readers from the page cache, with
    its keys and lifetimes for proxies, an ETag and 304 answers; render it
    afresh, uncached, for editors. `max_age` caps how long a page may be
    kept anywhere, for pages that change with nobody saving anything (search
    results, "Most read")."""
    if view is None:
        return lambda view: public_page(view, max_age=max_age)

    def render(request: HttpRequest, *args, **kwargs) -> tuple[HttpResponse, set]:
        shown = {"site"}
        token = _shown.set(shown)
        try:
            try:
                response = view(request, *args, **kwargs)
            except Http404 as exception:
                # Rendered here, so that it carries its keys and lifetimes
                # too: a scheduled story's address is a 404 until its time.
                response = page_not_found(request, exception)
            # Template responses (the sitemaps) render late; their body is
            # needed now, and so are the keys noted while rendering it.
            if hasattr(response, "render"):
                response = response.render()
        finally:
            _shown.reset(token)
        return response, shown

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_anonymous_read(request):
            # Possibly an editor: always fresh, and never kept on the way.
            response, _ = render(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        key = page_key(request)
        if settings.PAGE_CACHE_SECONDS and not hasattr(request, "page_cache_missed"):
            page = find(key)
            if page is not None:
                return respond(request, page, hit=True)

        rendered_at = time.time()
        response, shown = render(request, *args, **kwargs)
        if is_private(response):
            return response
        keys = frozenset(shown)
        changes_at = purge.next_change(keys)
        if max_age is not None:
            changes_at = min(changes_at, rendered_at + max_age)
        ttl = min(settings.PAGE_CACHE_SECONDS, changes_at - time.time())
        if not is_storable(response) or ttl < 1:
            for name, value in cache_headers(
                response.status_code, keys, changes_at
            ).items():
                response[name] = value
            response["X-Page-Cache"] = "miss"
            if response.status_code == 200 and not response.streaming:
                set_response_etag(response)
                return get_conditional_response(
                    request, etag=response["ETag"], response=response
                )
            return response
        page = store(response, keys, rendered_at, changes_at, ttl)
        cache.set(key, page, timeout=int(ttl))
        return respond(request, page, hit=False)

    return wrapper
