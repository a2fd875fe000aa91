"""The readers and the freshness observer of the newsroom day (bench/day.py):
plain http.client over keep-alive HTTP/1.1 connections to the stack's edge
(nginx over TLS), every request asking for gzip.
"""

import gzip
import http.client
import json
import queue
import ssl
import threading
import time
from pathlib import Path

# The user agent tells readers from the observer in nginx's access log.
READER = {"Accept-Encoding": "gzip", "User-Agent": "newsroom-bench-reader"}
OBSERVER = {**READER, "User-Agent": "newsroom-bench-observer"}
POLL_SECONDS = 0.05
GIVE_UP_SECONDS = 30.0
CONTEXT = ssl._create_unverified_context()  # The stack's throwaway certificate.


class Connection:
    """One keep-alive connection, opened again after any failure."""

    def __init__(self, port: int, headers: dict[str, str] = READER) -> None:
        self.port, self.headers = port, headers
        self.conn = None

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, timeout=15, context=CONTEXT
                )
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            headers = {name.lower(): value for name, value in response.getheaders()}
            if response.will_close:
                self.conn.close()
                self.conn = None
            return response.status, headers, body
        raise AssertionError("unreachable")


def text(headers: dict[str, str], body: bytes) -> str:
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode("utf-8", "replace")


def read(
    port: int,
    requests: list[tuple[float, str]],
    start: float,
    log: Path,
    connections: int = 24,
) -> None:
    """Send each (offset, path) at start + offset whether or not earlier
    answers have come (open loop), over `connections` connections; write one
    JSON line per answer. Latency counts from the planned moment, so a
    stack that falls behind shows it. A minute after the last planned
    moment, what is still waiting counts as unanswered (status 0)."""
    work: queue.Queue = queue.Queue()
    records: list[dict] = []

    def record(item: tuple, status: int = 0, headers: dict | None = None) -> None:
        planned, path, repeat = item
        headers = headers or {}
        done = time.time()
        records.append({
            "t": planned, "done": done, "path": path, "status": status,
            "ms": round((done - planned) * 1000, 2), "repeat": repeat,
            "x_cache": headers.get("x-cache", ""),
            "x_cache_status": headers.get("x-cache-status", ""),
            "x_page_cache": headers.get("x-page-cache", ""),
        })  # fmt: skip

    def reader() -> None:
        connection = Connection(port)
        while (item := work.get()) is not None:
            try:
                status, headers, _ = connection.get(item[1])
                record(item, status, headers)
            except (OSError, http.client.HTTPException):
                record(item)

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    seen: set[str] = set()
    for offset, path in requests:
        time.sleep(max(0.0, start + offset - time.time()))
        work.put((start + offset, path, path in seen))
        seen.add(path)
    deadline = time.time() + 60
    while time.time() < deadline and not work.empty():
        time.sleep(0.1)
    while (item := get_nowait(work)) is not None:
        record(item)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join(timeout=20)
    with log.open("w") as file:
        for line in sorted(records, key=lambda record: record["t"]):
            file.write(json.dumps(line) + "\n")


def get_nowait(work: queue.Queue):
    """The next item, or None when there is none."""
    try:
        return work.get_nowait()
    except queue.Empty:
        return None


def poll(connection: Connection, done, deadline: float) -> float | None:
    """Ask until done(connection) holds; the time it first did, or None."""
    while time.time() < deadline:
        try:
            if done(connection):
                return time.time()
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(POLL_SECONDS)
    return None


def shows(path: str, word: str):
    def check(connection: Connection) -> bool:
        status, headers, body = connection.get(path)
        return status == 200 and word in text(headers, body)

    return check


def gone(path: str):
    """The story's page answers 410 or 404 and the front page has no link to it."""

    def check(connection: Connection) -> bool:
        status, _, _ = connection.get(path)
        if status not in (404, 410):
            return False
        status, headers, body = connection.get("/")
        return status == 200 and f'href="{path}"' not in text(headers, body)

    return check


def observe(port: int, commit: dict) -> dict:
    """How long after the commit (or, for a scheduled story, after its due
    time) readers are served the new version through the edge."""
    kind, path, word = commit["kind"], commit["path"], commit["marker"]
    connection = Connection(port, OBSERVER)
    since = commit.get("due", commit["time"])
    if kind == "scheduled":
        time.sleep(max(0.0, since - time.time()))
        done = lambda c: shows(path, word)(c) and shows("/", word)(c)  # noqa: E731
    elif kind == "withdraw":
        done = gone(path)
    elif kind == "publish":
        done = shows("/", word)
    else:  # A typo fix or a correction: the story's own page.
        done = shows(path, word)
    seen = poll(connection, done, since + GIVE_UP_SECONDS)
    delay = GIVE_UP_SECONDS if seen is None else seen - since
    return {**commit, "delay": round(delay, 3), "timed_out": seen is None}


def watch(port: int, editor_log: Path, until: float, results: list[dict]) -> None:
    """Follow the editor's log and observe each commit in its own thread,
    until `until` and the last observation is over."""
    threads = []
    offset = 0
    while time.time() < until:
        if editor_log.exists():
            with editor_log.open("rb") as file:
                file.seek(offset)
                while (line := file.readline()).endswith(b"\n"):
                    offset += len(line)
                    commit = json.loads(line)
                    if commit["kind"] == "ready":
                        continue

                    def run(commit=commit) -> None:
                        results.append(observe(port, commit))

                    threads.append(threading.Thread(target=run))
                    threads[-1].start()
        time.sleep(POLL_SECONDS)
    for thread in threads:
        thread.join(timeout=GIVE_UP_SECONDS + 5)
