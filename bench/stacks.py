"""The two stacks of the newsroom day (bench/day.py), on 127.0.0.1, each with
one gunicorn app server (gunicorn.conf.py of its own tree):

- old: today's shipped stack, the code of an earlier commit (whole-site
  versioning) behind nginx's one-second micro-cache
  (bench/nginx-microcache.conf);
- new: the work tree behind nginx (deploy/nginx.conf) and Varnish
  (deploy/varnish.vcl, xkey), the app purging Varnish (VARNISH_URLS).

Each start function takes (folder, env, tree) and returns an object with
https_port, app_servers (the gunicorn masters), app_logs, varnish_port (or
None), env (what the app and its editor get), access_log (nginx's log of
what it asked gunicorn, or None) and stop(): swap one to try another stack.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

from bench import local_stack
from bench.local_stack import BASE_DIR, MICROCACHE_SITE, free_port


def collect_static(tree: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=tree,
        env=env,
        check=True,
    )


class OldStack:
    """nginx's micro-cache -> gunicorn running the code of `tree`. nginx's
    access log gets subrequests too, and each line the app's X-Page-Cache:
    the micro-cache refreshes pages in the background (a reader gets the
    stale copy), and only this log tells whether gunicorn rendered them."""

    varnish_port = None

    def __init__(self, folder: Path, env: dict[str, str], tree: Path) -> None:
        self.folder, self.tree, self.env = folder, tree, env
        self.port = free_port()
        self.http_port, self.https_port = free_port(), free_port()
        self.app_logs = [folder / f"gunicorn-{self.port}.log"]
        self.access_log = folder / "newsroom.access.log"
        self.app_servers: list[subprocess.Popen] = []
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        # The old tree's own start-up: its gunicorn.conf.py, run from it.
        spec = importlib.util.spec_from_file_location(
            "old_local_stack", self.tree / "newsroom" / "local_stack.py"
        )
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        site_file = MICROCACHE_SITE
        if not site_file.exists():  # Until it moves there: the same file.
            site_file = self.tree / "deploy" / "nginx.conf"
        site = local_stack.render_site(
            self.folder, [self.port], self.http_port, self.https_port,
            self.folder / "media", site_file,
        )  # fmt: skip
        site = site.replace(
            "log_format newsroom '",
            "log_subrequest on;\nlog_format newsroom "
            "'up=$upstream_status page=$upstream_http_x_page_cache ",
            1,
        )
        try:
            self.app_servers.append(
                old.start_gunicorn(self.port, self.env, self.app_logs[0])
            )
            self.processes += self.app_servers
            config = local_stack.nginx_main_config(self.folder, site)
            self.processes.append(local_stack.start_nginx(config, self.https_port))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in reversed(self.processes):
            local_stack.stop(process)


def start_old(folder: Path, env: dict[str, str], tree: Path) -> OldStack:
    collect_static(tree, env)
    stack = OldStack(folder, env, tree)
    stack.start()
    return stack


class NewStack:
    """bench.local_stack.LocalStack with one app server, as the bench
    reads it."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.stack = local_stack.LocalStack(folder, env, app_servers=1)
        self.env = self.stack.env  # With VARNISH_URLS.
        self.https_port = self.stack.https_port
        self.varnish_port = self.stack.varnish_port
        self.app_logs = [self.stack.app_log(port) for port in self.stack.app_ports]
        self.access_log = None  # Pages are Varnish's; nginx keeps none.

    def start(self) -> None:
        self.stack.start()
        self.app_servers = self.stack.processes[: len(self.app_logs)]

    def stop(self) -> None:
        self.stack.stop()


def start_new(folder: Path, env: dict[str, str], tree: Path = BASE_DIR) -> NewStack:
    collect_static(tree, env)
    stack = NewStack(folder, env)
    if not stack.varnish_port:
        raise SystemExit("deploy/nginx.conf does not send pages to Varnish yet.")
    stack.start()
    return stack
