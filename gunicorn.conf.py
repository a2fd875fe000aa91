"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Every value can be changed from the environment, so the same file serves
`make serve`, the systemd unit, the Docker image and the benchmark.
"""

import os
import subprocess
import sys


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def cpu_count() -> int:
    # The CPUs this process may run on (a container or taskset may allow
    # fewer than the machine has).
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "newsroom.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Sync workers: nginx buffers requests and responses, so slow clients never
# hold a worker. Pages are CPU-bound (cache hits, or Python rendering with
# short waits on PostgreSQL and Redis), so one worker per CPU plus one for
# those waits; the usual "2 x CPUs + 1" only adds context switches and
# serves fewer requests per second (docs/developers.md has the figures).
workers = env_int("GUNICORN_WORKERS", cpu_count() + 1)

# A request that takes longer than this is stuck: the worker is killed and
# replaced. On SIGTERM or a reload, workers get graceful_timeout to finish
# the requests they are serving.
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# Replace each worker after this many requests, so a slow leak cannot grow
# for ever; the jitter keeps workers from restarting all at once. Starting
# a worker takes a lot of CPU, so under a spike of cached pages frequent
# replacements cost throughput and tail latency, and workers' memory stays
# flat without them: so this is high (docs/developers.md has the figures).
max_requests = env_int("GUNICORN_MAX_REQUESTS", 200_000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)

# The heartbeat file is touched constantly; on a disk-backed /tmp that can
# block a worker long enough to be killed as stuck.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Addresses allowed to set X-Forwarded-Proto and friends: the proxy. The
# default trusts only a proxy on this machine; list the nginx hosts when it
# runs elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's Server header says "gunicorn" without its version (since
# 20.1), and nginx replaces it with its own, so it needs no setting (there
# is none) and no patching of gunicorn.SERVER (tests/test_deploy.py checks).

# The application logs one line per request itself (with the request id,
# the real client address and the time spent, JSON when LOG_FORMAT=json),
# so gunicorn's own access log would only repeat it in another format.
# Set GUNICORN_ACCESS_LOG ("-" for stdout, or a file) to have both.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# gunicorn's control socket (for `gunicornc`) defaults to one path per user,
# which two instances on one machine would share, and under systemd's
# ProtectHome there is no home to put it in. Signals (HUP, TTIN, TERM)
# do the same job; set GUNICORN_CONTROL_SOCKET to a path to have it.
control_socket_disable = True
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
    control_socket_disable = False


def on_starting(server) -> None:
    """Check the settings before any worker starts, so a missing or wrong
    variable stops gunicorn with its one line, printed once. The check runs
    in a child process: the master never imports the settings, so the
    workers a reload (HUP) starts read those of the code deployed since."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    check = subprocess.run([sys.executable, "-m", "newsroom.startup"])
    if check.returncode:
        raise SystemExit(3)
