"""Security headers from the app: readers' pages get the fixed
Content-Security-Policy, the admin its own with a fresh nonce per response;
every response a Permissions-Policy. (Through nginx: tests/test_deploy.py.)"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse

from newsroom.security import content_security_policy, csp_nonce
from tests.factories import make_article, make_image

pytestmark = pytest.mark.django_db

SITE_CSS = Path(settings.BASE_DIR) / "static" / "css" / "site.css"


def policy(response) -> dict[str, str]:
    return dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )


def permissions(response) -> dict[str, str]:
    return dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def inline_scripts(page: str) -> list[dict]:
    return [a for tag, a in Tags(page).tags if tag == "script" and "src" not in a]


def test_readers_pages_allow_no_inline_script_or_style(client):
    story = make_article(lead_image=make_image(focal_x=22, focal_y=68))
    for path, expected in [("/", "miss"), ("/", "hit"), (story.get_absolute_url(), "")]:
        response = client.get(path)
        assert response.status_code == 200
        if expected:
            assert response["X-Page-Cache"] == expected
        csp = policy(response)
        assert csp["script-src"] == "'self'"
        assert csp["style-src"] == "'self'"
        assert csp["object-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        assert "nonce" not in response["Content-Security-Policy"]
        page = response.content.decode()
        # Nothing the policy would block: no style attribute, no inline
        # script or <style> element (JSON-LD is data, not script).
        tags = Tags(page).tags
        assert [t for t, attrs in tags if "style" in attrs] == []
        assert not any(t == "style" for t, _ in tags)
        assert all(a.get("type") == "application/ld+json" for a in inline_scripts(page))
        # The focal point, rounded to 5 %, as classes.
        assert 'class="fx-20 fy-70"' in page


def test_every_focal_point_class_has_its_rule():
    css = SITE_CSS.read_text()
    for axis in "xy":
        for step in range(0, 101, 5):
            assert f".f{axis}-{step} {{ --f{axis}: {step}%; }}" in css
    assert "object-position: var(--fx, 50%) var(--fy, 50%);" in css


def test_admin_pages_get_their_own_policy_with_a_fresh_nonce(client):
    nonces = set()
    for _ in range(3):
        response = client.get("/admin/login/")
        assert response.status_code == 200
        csp = policy(response)
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]{22})'", csp["script-src"])[1]
        nonces.add(nonce)
        assert csp["style-src"] == "'self' 'unsafe-inline'"
        assert csp["connect-src"] == "'self'"
        assert csp["img-src"] == "'self' data: https:"
        assert csp["form-action"] == "'self'"
        assert csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'"
        assert csp["base-uri"] == "'self'"
        assert response["X-Frame-Options"] == "DENY"
    assert len(nonces) == 3


def test_the_editors_import_map_carries_the_responses_nonce(editor_client):
    response = editor_client.get("/admin/articles/article/add/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    scripts = inline_scripts(response.content.decode())
    # The prose editor's import map is the one inline script, and it would
    # not run without the nonce.
    assert [s.get("type") for s in scripts] == ["importmap"]
    assert all(s.get("nonce") == nonce for s in scripts)
    # The next response's nonce is another one.
    again = editor_client.get("/admin/articles/article/add/")
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]
    assert f'nonce="{nonce}"' not in again.content.decode()


def test_the_nonce_reaches_django_templates(rf):
    seen = {}

    def view(request):
        seen.update(csp_nonce(request))
        return HttpResponse()

    middleware = content_security_policy(view)
    response = middleware(rf.get("/admin/"))
    assert f"'nonce-{seen['csp_nonce']}'" in response["Content-Security-Policy"]
    # Readers' pages have none to give.
    middleware(rf.get("/"))
    assert seen["csp_nonce"] == ""


def test_permissions_policy_turns_off_what_the_site_never_uses(client):
    story = make_article(kind="video", video_url="https://youtu.be/dQw4w9WgXcQ")
    players = '(self "https://www.youtube-nocookie.com" "https://player.vimeo.com")'
    for path in ("/", story.get_absolute_url()):
        features = permissions(client.get(path))
        for off in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert features[off] == "()"
        for off in ("serial", "midi", "hid", "display-capture", "browsing-topics"):
            assert features[off] == "()"
        assert features["autoplay"] == "()"
        # The players' iframes may go full screen and picture-in-picture.
        assert features["fullscreen"] == players
        assert features["picture-in-picture"] == players
        # Readers' pages never ask for a passkey.
        assert features["publickey-credentials-get"] == "()"
        assert features["publickey-credentials-create"] == "()"

    admin = permissions(client.get("/admin/login/"))
    assert admin["publickey-credentials-get"] == "(self)"
    assert admin["publickey-credentials-create"] == "(self)"
    assert admin["fullscreen"] == "(self)"
    assert admin["camera"] == admin["geolocation"] == "()"
