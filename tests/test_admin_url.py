"""ADMIN_URL moves the admin and the staff's account pages; /admin/ is then
a reader's 404, and the page cache and the CSP still know the admin.

URL patterns are read when the URLconf is imported, so the site runs in a
child process with ADMIN_URL set, on a fresh in-memory test database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from django.contrib.auth.models import User

setup_test_environment()
connection.creation.create_test_db(verbosity=0)
User.objects.create_user("ed", password="pw-ed-12345", is_staff=True)
client = Client()
seen = {}

def look(name, path, method="get", **data):
    response = getattr(client, method)(path, data)
    seen[name] = {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "csp": response.get("Content-Security-Policy", ""),
        "page_cache": response.get("X-Page-Cache", ""),
        "cookies": sorted(response.cookies),
    }

seen["reverse"] = [reverse("admin:index"), reverse("accounts:sessions")]
look("desk", "/desk/")
look("desk_login", "/desk/login/")
look("desk_login_again", "/desk/login/")
look("sessions_anonymous", "/desk/account/sessions/")
look("admin", "/admin/")
look("admin_login", "/admin/login/")
look("admin_sessions", "/admin/account/sessions/")
look("sign_in", "/desk/login/", "post", username="ed", password="pw-ed-12345",
     next="/desk/")
look("desk_signed_in", "/desk/")
look("sessions", "/desk/account/sessions/")
print(json.dumps(seen))
"""


def test_admin_and_account_pages_live_under_admin_url():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DATABASE_REPLICA_URL")
    }
    env |= {"DJANGO_DEV": "1", "ADMIN_URL": "desk/", "LOG_LEVEL": "ERROR"}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["reverse"] == ["/desk/", "/desk/account/sessions/"]
    assert seen["desk"]["status"] == 302
    assert seen["desk"]["location"] == "/desk/login/?next=/desk/"
    assert seen["desk_login"]["status"] == 200
    assert seen["sessions_anonymous"]["status"] == 302
    assert seen["sessions_anonymous"]["location"].startswith("/desk/login/")
    assert seen["sign_in"]["status"] == 302
    assert seen["desk_signed_in"]["status"] == 200
    assert seen["sessions"]["status"] == 200

    # The old address is nobody's: a reader's 404, with the readers' CSP.
    for name in ("admin", "admin_login", "admin_sessions"):
        assert seen[name]["status"] == 404
        assert "script-src 'self';" in seen[name]["csp"]

    # The admin's pages are not readers' pages: never from the page cache,
    # and with the admin's CSP (a nonce for the editor's inline script).
    for name in ("desk", "desk_login", "desk_login_again", "desk_signed_in"):
        assert seen[name]["page_cache"] == ""
        assert "'nonce-" in seen[name]["csp"]
