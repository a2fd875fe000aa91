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
compressed per request.

Requests with a session cookie (editors) bypass all of it and get private,
uncacheable responses.
"""

import gzip
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
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


def content_version() -> tuple[str, float]:
    """The current version and the time (epoch seconds) until which it holds.
    Replaces the version once that time has come."""
    state = cache.get(STATE_KEY)
    now = time.time()
    if state is not None and state[1] > now:
        return state
    due = next_scheduled_change()
    valid_until = due.timestamp() if due else now + 24 * 3600
    state = (secrets.token_hex(8), valid_until)
    cache.set(STATE_KEY, state, timeout=max(1, int(valid_until - now)))
    return state


def invalidate() -> None:
    """Make every app server render pages afresh (called on any change)."""
    cache.delete(STATE_KEY)


def page_key(request: HttpRequest, version: str) -> str:
    query = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name in KEY_PARAMETERS
        for value in values
    )
    address = (
        f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(query)}"
    )
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


def respond(request: HttpRequest, page: Page, hit: bool) -> HttpResponse:
    use_gzip = accepts_gzip(request) and len(page.gzipped) < len(page.body)
    response = HttpResponse(page.gzipped if use_gzip else page.body, status=page.status)
    for name, value in page.headers:
        response[name] = value
    if use_gzip:
        response["Content-Encoding"] = "gzip"
    response["ETag"] = page.etag
    response["X-Page-Cache"] = "hit" if hit else "miss"
    return response


def add_public_headers(response: HttpResponse, valid_until: float) -> None:
    """Let browsers and proxies keep the page briefly, never past the next
    scheduled change."""
    remaining = max(0, int(valid_until - time.time()))
    max_age = min(settings.PUBLIC_PAGE_MAX_AGE, remaining)
    stale = min(settings.PUBLIC_PAGE_STALE, remaining - max_age)
    patch_cache_control(response, public=True, max_age=max_age, s_maxage=max_age)
    if stale > 0:
        patch_cache_control(response, stale_while_revalidate=stale)
    patch_vary_headers(response, ("Accept-Encoding", "Cookie"))


def public_page(view):
    """Serve a public page from the page cache for anonymous readers, with
    Cache-Control for proxies, an ETag and 304 answers."""

    def render(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        # Template responses (the sitemaps) render late; their body is needed now.
        return response.render() if hasattr(response, "render") else response

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES or request.method not in (
            "GET",
            "HEAD",
        ):
            # Possibly an editor: always fresh, and never kept on the way.
            response = render(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        version, valid_until = content_version()
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

        key = page_key(request, version)
        page = local_tier.get(key)
        hit = page is not None
        if not hit:
            page = cache.get(key)
            hit = page is not None
            if not hit:
                response = render(request, *args, **kwargs)
                if not is_storable(response):
                    add_public_headers(response, valid_until)
                    return response
                page = store(response, time.time() + ttl)
                cache.set(key, page, timeout=int(ttl))
            local_tier.put(key, page)

        response = respond(request, page, hit)
        add_public_headers(response, valid_until)
        return get_conditional_response(request, etag=page.etag, response=response)

    return wrapper
