"""A bound on password checks running at once on this machine, so sign-in
floods cannot take the CPU that readers' pages need.

A password check is a deliberately slow hash (a few hundred milliseconds of
one core). Sign-in POSTs take one of LOGIN_PASSWORD_CHECKS slots, a file
lock shared by every worker of every app server on the machine (flock on
files in one folder, let go by the kernel if a worker dies); when all are
taken the POST is answered 429 at once, unhashed, with Retry-After. A
waiting worker would be one readers cannot use, so nobody waits. Signed-in
staff and readers are not affected; nginx's limit_req (deploy/nginx.conf)
keeps a single address's flood from getting this far.
"""

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

# Retry-After for a refused sign-in: about the time one check takes.
RETRY_AFTER_SECONDS = 2


def slots_folder() -> Path:
    # One folder per site (BASE_DIR), in memory where there is /dev/shm.
    base = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    site = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:12]
    folder = Path(base) / f"newsroom-password-checks-{site}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


class Slots:
    """LOGIN_PASSWORD_CHECKS lock files, opened once per process."""

    def __init__(self) -> None:
        self.files: list = []

    def take(self) -> int | None:
        """The file descriptor of a free slot, now held; None if all are taken."""
        wanted = settings.LOGIN_PASSWORD_CHECKS
        if len(self.files) != wanted:
            folder = slots_folder()
            for file in self.files:
                file.close()
            self.files = [
                open(folder / f"slot-{number}", "a+b") for number in range(wanted)
            ]
        for file in self.files:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            return file.fileno()
        return None

    @staticmethod
    def give_back(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


slots = Slots()


def password_check_slots(get_response):
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path_info != reverse("admin:login"):
            return get_response(request)
        held = slots.take()
        if held is None:
            return busy_page(request)
        try:
            return get_response(request)
        finally:
            slots.give_back(held)

    return middleware


def busy_page(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "accounts/sign_in_busy.html",
        {**admin.site.each_context(request), "title": "Signing in is busy"},
        status=429,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
