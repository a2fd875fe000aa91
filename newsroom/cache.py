"""django-redis with a circuit breaker, so a hung Redis costs readers almost
nothing once it is known to be hung.

A Redis that is stopped (SIGSTOP, a network fault) rather than gone accepts
connections and never answers, so every cache call waits SOCKET_TIMEOUT
before IGNORE_EXCEPTIONS turns it into a miss, and a page makes several.
Here each Redis address has a breaker, per process: after
CACHE_BREAKER_FAILURES calls in a row fail (time out, refused, reset), it
opens and cache calls fail at once, before touching a socket, for
CACHE_BREAKER_SECONDS; IGNORE_EXCEPTIONS makes them misses and no-ops as
before. Then one call is let through as a trial: if Redis answers, the
breaker closes and the cache is in use again; if not, it stays open for
another cool-off. Opening and closing are logged once each, and the calls
refused meanwhile are not logged at all.

The breaker sits in redis-py's connection class (every command, pipeline
and handshake passes through it) rather than in the cache backend, so the
"Most read" counter, which talks to Redis without the cache, shares it.
pybreaker was considered: it guards one function call at a time, while here
a trial is a connection's handshake and then the command, on one thread,
without the other threads waiting on its lock.
"""

import logging
import threading
import time

import redis
from django.conf import settings
from django_redis.cache import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError, ResponseError, TimeoutError

logger = logging.getLogger("newsroom.cache")


class CircuitOpen(ConnectionError):
    """Redis was not asked: it has not answered lately."""


class Breaker:
    """Whether calls to one Redis server may go ahead."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.failures = 0
        self.opened_at: float | None = None  # While open.
        self.retry_at = 0.0  # When the next trial may go.
        self.trial_thread: int | None = None
        self.lock = threading.Lock()

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        with self.lock:
            if self.opened_at is None:
                return True
            thread = threading.get_ident()
            now = time.monotonic()
            if now >= self.retry_at:
                # Half open: this thread's call is the trial; the others go
                # on failing fast until it has answered or a cool-off passed.
                self.retry_at = now + settings.CACHE_BREAKER_SECONDS
                self.trial_thread = thread
            return thread == self.trial_thread

    def succeeded(self) -> None:
        if self.opened_at is None and not self.failures:
            return
        with self.lock:
            self.failures = 0
            if self.opened_at is not None:
                logger.warning(
                    "Redis at %s answers again after %.1f s: the cache is in use.",
                    self.address,
                    time.monotonic() - self.opened_at,
                )
                self.opened_at = None
                self.trial_thread = None

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.failures += 1
            self.trial_thread = None
            now = time.monotonic()
            if self.opened_at is not None:
                # A trial failed: the cool-off starts again from now.
                self.retry_at = now + settings.CACHE_BREAKER_SECONDS
            elif self.failures >= settings.CACHE_BREAKER_FAILURES:
                self.opened_at = now
                self.retry_at = now + settings.CACHE_BREAKER_SECONDS
                logger.error(
                    "Redis at %s is not answering (%s): cache calls are skipped, "
                    "pages are served uncached; trying again every %s s.",
                    self.address,
                    error,
                    settings.CACHE_BREAKER_SECONDS,
                )


breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(address: str) -> Breaker:
    with _breakers_lock:
        if address not in breakers:
            breakers[address] = Breaker(address)
        return breakers[address]


class GuardedConnectionMixin:
    """Ask the breaker before each connect and command, and tell it how
    each ended: an answer, even an error reply, means Redis is there."""

    @property
    def breaker(self) -> Breaker:
        try:
            return self._breaker
        except AttributeError:
            self._breaker = breaker_for(self._host_error())
            return self._breaker

    def _refuse_unless_allowed(self) -> None:
        if not self.breaker.allow():
            raise CircuitOpen(f"Redis at {self.breaker.address} is not answering.")

    def connect_check_health(self, *args, **kwargs):
        if self._sock:
            return super().connect_check_health(*args, **kwargs)
        self._refuse_unless_allowed()
        try:
            return super().connect_check_health(*args, **kwargs)
        except CircuitOpen:
            raise
        except (ConnectionError, TimeoutError) as error:
            self.breaker.failed(error)
            raise

    def send_packed_command(self, *args, **kwargs):
        self._refuse_unless_allowed()
        try:
            return super().send_packed_command(*args, **kwargs)
        except CircuitOpen:
            raise
        except (ConnectionError, TimeoutError) as error:
            self.breaker.failed(error)
            raise

    def read_response(self, *args, **kwargs):
        try:
            response = super().read_response(*args, **kwargs)
        except ResponseError:
            self.breaker.succeeded()
            raise
        except (ConnectionError, TimeoutError) as error:
            self.breaker.failed(error)
            raise
        self.breaker.succeeded()
        return response


class GuardedConnection(GuardedConnectionMixin, redis.Connection):
    pass


class GuardedSSLConnection(GuardedConnectionMixin, redis.SSLConnection):
    pass


class GuardedUnixConnection(GuardedConnectionMixin, redis.UnixDomainSocketConnection):
    pass


GUARDED = {
    redis.Connection: GuardedConnection,
    redis.SSLConnection: GuardedSSLConnection,
    redis.UnixDomainSocketConnection: GuardedUnixConnection,
}


class ConnectionPool(redis.ConnectionPool):
    """redis-py's pool, with the guarded kind of the connection class the
    URL asks for (redis://, rediss:// or unix://)."""

    def __init__(self, connection_class=redis.Connection, **kwargs) -> None:
        super().__init__(
            connection_class=GUARDED.get(connection_class, connection_class), **kwargs
        )


class QuietWhileOpen(logging.Filter):
    """django-redis logs each call IGNORE_EXCEPTIONS ignores; the calls the
    breaker refused are one outage, already logged once."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None:
            if isinstance(error, CircuitOpen):
                return False
            error = error.__cause__ or error.__context__
        return True


quiet_while_open = QuietWhileOpen()


class RedisCache(DjangoRedisCache):
    """django-redis's cache backend with the breaker: settings.CACHES names
    this one, with the same OPTIONS."""

    def __init__(self, server: str, params: dict) -> None:
        options = {
            "CONNECTION_POOL_CLASS": "newsroom.cache.ConnectionPool",
            **params.get("OPTIONS", {}),
        }
        super().__init__(server, {**params, "OPTIONS": options})
        if self.logger is not None:
            self.logger.addFilter(quiet_while_open)
