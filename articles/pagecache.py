"""Whole-page cache for anonymous readers, shared by every app server.

A public page is rendered once per *content version* and kept in the default
cache (Redis when REDIS_URL is set, so every app server shares it). Saving
anything a page shows replaces the version (see signals.py), so every server
stops using older renders at once; they expire by themselves. The version
also changes by itself at the next scheduled publication or breaking-news
expiry: no render, and no Cache-Control max-age, outlives the moment a
scheduled story is due.

Each worker also keeps the most used renders in its own memory, so a hit
costs one small cache read (the version) and no unpickling of a whole page.
Bodies are stored gzipped once, next to the plain ones, so nothing is
compressed per request. public_page() renders and stores pages;
PageCacheMiddleware answers the hits before most of Django runs.

Requests with a session cookie (editors) bypass all of it and get private,
uncacheable responses.
"""

import gzip
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)

from .querysets import next_scheduled_change

STATE_KEY = "pagecache:state"
# The query parameters that change what a public page shows; any other
# parameter is ignored by the pages, so it must not split the cache either.
KEY_PARAMETERS = ("page", "p", "q", "section", "region", "since", "until")
# Response headers a stored page keeps (Cache-Control and Vary are set anew).
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Last-Modified")
LOCAL_TIER_BYTES = 16 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes
    etag: str
    expires_at: float

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)


class LocalTier:
    """This worker's most recently used pages, up to LOCAL_TIER_BYTES."""

    def __init__(self, max_bytes: int = LOCAL_TIER_BYTES) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires_at <= time.time():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: Page) -> None:
        if page.size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._bytes += page.size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def _drop(self, key: str) -> None:
        self._bytes -= self._pages.pop(key).size


local_tier = LocalTier()


class RequestMemo(threading.local):
    """The content version as this request first read it: a page asks for
    it several times (the page cache, each remembered read), and reading it
    once saves cache reads, or queries while the cache is down. Outside a
    request nothing is kept."""

    in_request = False
    state: tuple[str, float] | None = None


request_memo = RequestMemo()


@receiver(request_started)
def request_starts(**kwargs) -> None:
    request_memo.in_request = True
    request_memo.state = None


@receiver(request_finished)
def request_ends(**kwargs) -> None:
    request_memo.in_request = False
    request_memo.state = None


def content_version() -> tuple[str, float]:
    """The current version and the time (epoch seconds) until which it holds.
    Replaces the version once that time has come."""
    now = time.time()
    state = request_memo.state
    if state is not None and state[1] > now:
        return state
    state = cache.get(STATE_KEY)
    if state is None or state[1] <= now:
        due = next_scheduled_change()
        valid_until = due.timestamp() if due else now + 24 * 3600
        state = (secrets.token_hex(8), valid_until)
        cache.set(STATE_KEY, state, timeout=max(1, int(valid_until - now)))
    if request_memo.in_request:
        request_memo.state = state
    return state


def invalidate() -> None:
    """Make every app server render pages afresh (called on any change)."""
    request_memo.state = None
    cache.delete(STATE_KEY)


REMEMBERED_MAX = 100
# Without a shared cache (no REDIS_URL) a worker does not hear of another
# worker's saves, so nothing is remembered for longer than this.
REMEMBERED_SECONDS = 60
_remembered: dict[tuple, tuple[object, float]] = {}


def remembered(name: str, compute: Callable[[], T], *key: object) -> T:
    """compute()'s result, kept by this worker until the content version
    changes (any save, or a scheduled change) or any of `key` does, and for
    REMEMBERED_SECONDS at most: for the small reads that every page repeats,
    such as the navigation and "Most read". Pages are rendered afresh as
    often as before; they only stop asking the database the same question
    each time."""
    version, _ = content_version()
    full_key = (name, version, *key)
    now = time.monotonic()
    entry = _remembered.get(full_key)
    if entry is None or entry[1] <= now:
        if len(_remembered) >= REMEMBERED_MAX:
            forget_older_versions(version)
        entry = _remembered[full_key] = (compute(), now + REMEMBERED_SECONDS)
    return entry[0]


def forget_older_versions(version: str) -> None:
    """Make room in the remembered reads: drop those of other content
    versions, and only when the current one alone fills it, everything.
    Without a shared cache every request has a version of its own, and
    what it remembered earlier must last until it ends."""
    for key in [key for key in _remembered if key[1] != version]:
        del _remembered[key]
    if len(_remembered) >= REMEMBERED_MAX:
        _remembered.clear()


def page_key(request: HttpRequest, version: str) -> str:
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
    return f"pagecache:page:{version}:{digest}"


def store(response: HttpResponse, expires_at: float) -> Page:
    body = response.content
    return Page(
        status=response.status_code,
        headers=tuple(
            (name, response[name]) for name in KEPT_HEADERS if response.has_header(name)
        ),
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
        expires_at=expires_at,
    )


def is_storable(response: HttpResponse) -> bool:
    """Only a plain 200 that sets no cookie and did not ask to stay private."""
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


def is_anonymous_read(request: HttpRequest) -> bool:
    """A GET or HEAD without a session cookie: nobody is signed in, so the
    page is the same for every reader."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def lifetimes(valid_until: float) -> tuple[int, int]:
    """Seconds browsers and proxies may keep a page (max-age) and serve it
    stale while refreshing it, never past the next scheduled change."""
    remaining = max(0, int(valid_until - time.time()))
    max_age = min(settings.PUBLIC_PAGE_MAX_AGE, remaining)
    return max_age, min(settings.PUBLIC_PAGE_STALE, remaining - max_age)


def public_cache_control(valid_until: float) -> str:
    max_age, stale = lifetimes(valid_until)
    value = f"public, max-age={max_age}, s-maxage={max_age}"
    if stale > 0:
        value += f", stale-while-revalidate={stale}"
    return value


def add_public_headers(response: HttpResponse, valid_until: float) -> None:
    """Public Cache-Control, merged with what the view set, and Vary."""
    max_age, stale = lifetimes(valid_until)
    patch_cache_control(response, public=True, max_age=max_age, s_maxage=max_age)
    if stale > 0:
        patch_cache_control(response, stale_while_revalidate=stale)
    patch_vary_headers(response, ("Accept-Encoding", "Cookie"))


def respond(
    request: HttpRequest, page: Page, valid_until: float, hit: bool
) -> HttpResponse:
    """The stored page, compressed when the reader accepts it, or 304 when
    the reader already has it."""
    use_gzip = accepts_gzip(request) and len(page.gzipped) < len(page.body)
    response = HttpResponse(page.gzipped if use_gzip else page.body, status=page.status)
    for name, value in page.headers:
        response[name] = value
    if use_gzip:
        response["Content-Encoding"] = "gzip"
    response["ETag"] = page.etag
    response["X-Page-Cache"] = "hit" if hit else "miss"
    response["Cache-Control"] = public_cache_control(valid_until)
    response["Vary"] = "Accept-Encoding, Cookie"
    # What CommonMiddleware and XFrameOptionsMiddleware would add: hits are
    # answered before them.
    response["Content-Length"] = str(len(response.content))
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
        return get_conditional_response(request, etag=page.etag, response=response)
    return response


def find(key: str) -> Page | None:
    """The page stored under key: this worker's copy, else the shared one."""
    page = local_tier.get(key)
    if page is None:
        page = cache.get(key)
        if page is not None:
            local_tier.put(key, page)
    return page


class PublicPaths:
    """The paths of public_page() views this worker has served to anonymous
    readers: only those are looked up before URL resolution, so any other
    request (health checks, the admin, the beacon) costs nothing more."""

    def __init__(self, max_paths: int = 50_000) -> None:
        self.max_paths = max_paths
        self._paths: set[str] = set()

    def __contains__(self, path: str) -> bool:
        return path in self._paths

    def add(self, path: str) -> None:
        if len(self._paths) >= self.max_paths:
            self._paths.clear()
        self._paths.add(path)


public_paths = PublicPaths()


class PageCacheMiddleware:
    """Answer anonymous readers from the page cache straight after the
    security middleware (and whitenoise): no session, CSRF, message or
    authentication middleware, URL resolution or view runs for a hit, so a
    hit costs about what the smallest view does. A page not found is left
    to the view, told so, so it does not look it up again."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in public_paths and is_anonymous_read(request):
            version, valid_until = content_version()
            if min(settings.PAGE_CACHE_SECONDS, valid_until - time.time()) >= 1:
                key = page_key(request, version)
                page = find(key)
                if page is not None:
                    return respond(request, page, valid_until, hit=True)
                request.page_cache_miss = (version, valid_until, key)
        return self.get_response(request)


def public_page(view):
    """Render a public page once per content version for anonymous readers
    and keep it in the page cache (PageCacheMiddleware serves the next
    requests), with Cache-Control for proxies, an ETag and 304 answers."""

    def render(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        # Template responses (the sitemaps) render late; their body is needed now.
        return response.render() if hasattr(response, "render") else response

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_anonymous_read(request):
            # Possibly an editor: always fresh, and never kept on the way.
            response = render(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        missed = getattr(request, "page_cache_miss", None)
        if missed:
            version, valid_until, key = missed
        else:
            version, valid_until = content_version()
            key = page_key(request, version)
        ttl = min(settings.PAGE_CACHE_SECONDS, valid_until - time.time())
        if ttl < 1:
            # The page cache is off, or a scheduled change is due this second.
            response = render(request, *args, **kwargs)
            add_public_headers(response, valid_until)
            if not is_storable(response):
                return response
            set_response_etag(response)
            return get_conditional_response(
                request, etag=response.get("ETag"), response=response
            )

        page = None if missed else find(key)
        hit = page is not None
        if not hit:
            response = render(request, *args, **kwargs)
            if not is_storable(response):
                add_public_headers(response, valid_until)
                return response
            page = store(response, time.time() + ttl)
            cache.set(key, page, timeout=int(ttl))
            local_tier.put(key, page)
        # From now on PageCacheMiddleware answers this path itself.
        public_paths.add(request.path)
        return respond(request, page, valid_until, hit)

    return wrapper
