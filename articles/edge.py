"""Purging the edge caches by surrogate key (see /work/notes/purge-spec.md).

Pages carry the keys of everything they show (Surrogate-Key, and Cache-Tag
for Cloudflare), so the edge may keep them for hours: after a change the app
calls purge() with the changed keys, in a background thread, and retries
when it raises. Each configured backend is told in its vendor's documented
way:

- Varnish (VARNISH_URLS): `PURGE /` with `xkey-purge: k1 k2 ...` to every
  server; our VCL hands the header to vmod xkey and answers 200.
- Fastly (FASTLY_SERVICE_ID, FASTLY_API_TOKEN): the API's "purge multiple
  surrogate key tags", POST /service/{id}/purge with JSON surrogate_keys.
- Cloudflare (CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_TOKEN): the API's "purge
  cached content by tag", POST /zones/{zone}/purge_cache with JSON tags.

Plain urllib, no vendor SDK: three small POSTs do not need one.
"""

import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import quote

from django.conf import settings

# Up to 256 surrogate keys in one batch purge request (Fastly API reference,
# Purging, "Purge multiple surrogate key tags": POST /service/{service_id}/purge).
FASTLY_KEYS_PER_REQUEST = 256
# Tag, hostname and prefix purges support "up to 100 operations per request"
# on every plan (developers.cloudflare.com/cache/how-to/purge-cache/, "Purge
# limits"; the API reference for POST /zones/{zone_id}/purge_cache refers
# there). Older API pages said 30 tags a call; that limit is gone.
CLOUDFLARE_TAGS_PER_REQUEST = 100
# Varnish refuses a request with a header longer than http_req_hdr_len
# (8 KB by default); half of it leaves room for a lowered setting.
VARNISH_HEADER_BYTES = 4000
# Keys are joined by spaces (xkey, Surrogate-Key) and commas (Cache-Tag).
KEY = re.compile(r"[!-+\--~]+")
# Enough of an answer to say what went wrong, not a whole error page.
ANSWER_CHARS = 300


class PurgeError(Exception):
    """A backend did not confirm a purge; the message names each that failed
    and what it answered, so the log line is enough to act on."""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A purge API that redirects is misconfigured: urllib would follow a
    POST's redirect with a GET, and an unrelated page could pass for an
    answer."""

    def redirect_request(self, *args, **kwargs) -> None:
        return None


def is_configured() -> bool:
    """Whether any edge is purged, so pages may stay there for hours."""
    return bool(settings.VARNISH_URLS or fastly_configured() or cloudflare_configured())


def fastly_configured() -> bool:
    return bool(settings.FASTLY_SERVICE_ID and settings.FASTLY_API_TOKEN)


def cloudflare_configured() -> bool:
    """Whether Cloudflare is purged by tag (then pages carry Cache-Tag)."""
    return bool(settings.CLOUDFLARE_ZONE_ID and settings.CLOUDFLARE_API_TOKEN)


def purge(keys: list[str]) -> None:
    """Purge everything tagged with any of these keys from every configured
    edge. Every backend is tried even when one fails; then PurgeError names
    the failures (the caller retries the whole list: purging twice is
    harmless)."""
    keys = list(dict.fromkeys(keys))  # Duplicates would only fill requests.
    for key in keys:
        if not KEY.fullmatch(key):
            raise ValueError(f"Not a surrogate key (ASCII, no space or comma): {key!r}")
    if not keys:
        return
    failures = []
    for name, send in backends():
        try:
            send(keys)
        except PurgeError as error:
            failures.append(f"{name}: {error}")
    if failures:
        raise PurgeError("; ".join(failures))


def backends() -> Iterator[tuple[str, Callable[[list[str]], None]]]:
    """(name for messages, sender) for each configured backend; each Varnish
    server is its own, so one that is down does not hide the others."""
    for url in settings.VARNISH_URLS:
        yield f"Varnish {url}", lambda keys, url=url: purge_varnish(url, keys)
    if fastly_configured():
        yield "Fastly", purge_fastly
    if cloudflare_configured():
        yield "Cloudflare", purge_cloudflare


def purge_varnish(url: str, keys: list[str]) -> None:
    for batch in header_batches(keys, VARNISH_HEADER_BYTES):
        request = urllib.request.Request(
            url.rstrip("/") + "/", method="PURGE", headers={"xkey-purge": batch}
        )
        send(request)


def purge_fastly(keys: list[str]) -> None:
    url = (
        f"{settings.FASTLY_API_URL.rstrip('/')}/service/"
        f"{quote(settings.FASTLY_SERVICE_ID, safe='')}/purge"
    )
    for batch in batches(keys, FASTLY_KEYS_PER_REQUEST):
        # No Fastly-Soft-Purge: a soft purge marks pages stale, and with
        # stale-while-revalidate a corrected story would still be served
        # once more as it was.
        request = json_request(
            url, {"surrogate_keys": batch}, {"Fastly-Key": settings.FASTLY_API_TOKEN}
        )
        answer = send(request)
        # 200 with a JSON object of key -> purge id.
        if not isinstance(answer, dict):
            raise PurgeError(f"HTTP 200 but not the JSON expected: {clip(answer)}")


def purge_cloudflare(keys: list[str]) -> None:
    url = (
        f"{settings.CLOUDFLARE_API_URL.rstrip('/')}/zones/"
        f"{quote(settings.CLOUDFLARE_ZONE_ID, safe='')}/purge_cache"
    )
    token = {"Authorization": f"Bearer {settings.CLOUDFLARE_API_TOKEN}"}
    for batch in batches(keys, CLOUDFLARE_TAGS_PER_REQUEST):
        answer = send(json_request(url, {"tags": batch}, token))
        # Cloudflare's envelope: only success true means the purge was taken.
        if not isinstance(answer, dict) or answer.get("success") is not True:
            errors = answer.get("errors") if isinstance(answer, dict) else answer
            raise PurgeError(f"HTTP 200 but not success: {clip(errors)}")


def json_request(
    url: str, body: dict, headers: dict[str, str]
) -> urllib.request.Request:
    return urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers=headers
        | {"Content-Type": "application/json", "Accept": "application/json"},
    )


def send(request: urllib.request.Request) -> object:
    """Send one request; the parsed JSON answer (None when it has no JSON
    body) if it was a 200, else PurgeError saying what came back."""
    request.add_header("User-Agent", "newsroom-edge-purge")
    opener = urllib.request.build_opener(NoRedirects)
    try:
        # The timeout bounds each connect and read, so a hung edge delays
        # the purge thread by seconds, not minutes.
        with opener.open(request, timeout=settings.PURGE_TIMEOUT) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        raise PurgeError(f"HTTP {error.code}: {clip(error.read())}") from None
    except (OSError, http.client.HTTPException) as error:  # Refused, timed out...
        reason = getattr(error, "reason", error)
        raise PurgeError(f"no answer from {request.full_url}: {reason}") from None
    if status != 200:
        raise PurgeError(f"HTTP {status}: {clip(body)}")
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        return body.decode(errors="replace")


def batches(keys: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def header_batches(keys: list[str], max_bytes: int) -> Iterator[str]:
    """Keys joined by spaces into header values of at most max_bytes."""
    batch: list[str] = []
    length = 0
    for key in keys:
        if batch and length + 1 + len(key) > max_bytes:
            yield " ".join(batch)
            batch, length = [], 0
        length += len(key) + (1 if batch else 0)
        batch.append(key)
    if batch:
        yield " ".join(batch)


def clip(answer: object) -> str:
    if isinstance(answer, bytes):
        answer = answer.decode(errors="replace")
    text = answer if isinstance(answer, str) else json.dumps(answer)
    text = " ".join(text.split())
    return text[:ANSWER_CHARS] + ("..." if len(text) > ANSWER_CHARS else "")
