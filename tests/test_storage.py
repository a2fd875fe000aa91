"""Media on S3-compatible object storage, against moto's S3 server on
127.0.0.1 (a real HTTP S3 API), configured from environment variables the
way an operator sets them."""

import json
import os
import re
import subprocess
import urllib.request
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse
from PIL import Image as PILImage

from articles.models import Article, Image

from .factories import image_bytes, make_article, make_image, make_section
from .test_settings import PRODUCTION, manage
from .test_uploads import IMAGE_ADD, image_form, mp4_bytes, upload, video_form

pytestmark = pytest.mark.django_db

CDN = "media.example.test"


def skip_or_fail(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto's S3 server on a free port; a daemon thread, so it ends with the
    test run whatever happens."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        skip_or_fail(f"moto[server] is missing ({error}); pip install -e '.[dev]'")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def storage_from_env(moto_endpoint) -> dict:
    """STORAGES["default"] as newsroom/settings.py builds it from the
    environment an operator would set for this bucket."""
    shell = "import json; from django.conf import settings as s; "
    shell += "print(json.dumps(s.STORAGES['default']))"
    result = manage(
        "shell",
        "-c",
        shell,
        **PRODUCTION,
        AWS_STORAGE_BUCKET_NAME="newsroom-media",
        AWS_S3_ENDPOINT_URL=moto_endpoint,
        AWS_S3_REGION_NAME="us-east-1",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def s3(storage_from_env) -> "Bucket":
    """The bucket, public to read as docs/operators.md asks, with default storage
    pointing at it for this module (one S3 client for all its tests)."""
    import boto3

    options = storage_from_env["OPTIONS"]
    client = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = options["bucket_name"]
    client.create_bucket(Bucket=name)
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read))
    storages = django_settings.STORAGES | {"default": storage_from_env}
    with override_settings(STORAGES=storages):
        yield Bucket(client, name, options["endpoint_url"])


@pytest.fixture
def bucket(s3, monkeypatch) -> "Bucket":
    """The bucket, emptied, and the operator's credentials in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    keys = s3.keys()
    if keys:
        objects = [{"Key": key} for key in keys]
        s3.client.delete_objects(Bucket=s3.name, Delete={"Objects": objects})
    return s3


class Bucket:
    def __init__(self, client, name: str, endpoint: str):
        self.client = client
        self.name = name
        self.url = f"{endpoint}/{name}/"

    def keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def head(self, key: str) -> dict:
        return self.client.head_object(Bucket=self.name, Key=key)


class MediaURLs(HTMLParser):
    """Every URL in src, srcset and poster attributes of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.urls: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "poster") and value:
                self.urls.append(value)
            elif name == "srcset" and value:
                self.urls.extend(part.split()[0] for part in value.split(","))


def media_urls(response) -> list[str]:
    urls = MediaURLs(response.content.decode()).urls
    return [url for url in urls if "/static/" not in url]


def local_media_files() -> list[Path]:
    return [p for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_uploaded_picture_lands_in_the_bucket_with_renditions(editor_client, bucket):
    response = editor_client.post(
        IMAGE_ADD, image_form(upload("choir.jpg", image_bytes((700, 420))))
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == (700, 420)
    entries = [*image.renditions, *image.crops["card"], *image.crops["lead"]]
    expected = {image.file.name} | {e[f] for e in entries for f in ("webp", "jpeg")}
    assert image.file.name.startswith("images/")
    assert expected <= bucket.keys()
    assert [e["width"] for e in image.renditions] == [320, 640, 700]
    webp = bucket.head(image.renditions[0]["webp"])
    assert webp["ContentType"] == "image/webp"
    assert webp["CacheControl"] == "public, max-age=604800"
    assert bucket.head(image.renditions[0]["jpeg"])["ContentType"] == "image/jpeg"
    # Nothing went to the local disk.
    assert local_media_files() == []


def test_story_page_pictures_are_served_from_the_bucket(client, bucket):
    story = make_article(lead_image=make_image(size=(640, 360)))
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    urls = media_urls(response)
    assert any(".webp" in url for url in urls)
    assert urls and all(url.startswith(bucket.url) for url in urls), urls
    # Plain URLs a CDN can cache, not signed ones that expire.
    assert not any("X-Amz-" in url for url in urls)
    # What a browser does: fetch one from the bucket.
    webp = next(url for url in urls if url.endswith(".webp"))
    with urllib.request.urlopen(webp, timeout=5) as answer:
        assert answer.headers["Content-Type"] == "image/webp"
        assert PILImage.open(BytesIO(answer.read())).format == "WEBP"


def test_custom_domain_is_used_for_media_urls(client, bucket, settings):
    default = settings.STORAGES["default"]
    options = default["OPTIONS"] | {"custom_domain": CDN}
    settings.STORAGES = settings.STORAGES | {"default": default | {"OPTIONS": options}}
    story = make_article(lead_image=make_image(size=(640, 360)))
    page = client.get(story.get_absolute_url())
    urls = media_urls(page)
    assert urls and all(url.startswith(f"https://{CDN}/renditions/") for url in urls)
    assert set(bucket.keys()) >= {url.removeprefix(f"https://{CDN}/") for url in urls}
    # Share previews, feeds and sitemaps give the CDN address as it is.
    share = re.search(r'property="og:image" content="([^"]+)"', page.content.decode())
    assert share[1].startswith(f"https://{CDN}/renditions/")
    feed = client.get(reverse("articles:latest-feed")).content.decode()
    assert re.search(f'<enclosure [^>]*url="https://{CDN}/renditions/', feed)
    sitemap = client.get(
        reverse("articles:sitemap-section", args=["stories"])
    ).content.decode()
    assert f"<image:loc>https://{CDN}/renditions/" in sitemap


def test_replacing_the_picture_makes_new_renditions_in_the_bucket(
    editor_client, bucket
):
    editor_client.post(
        IMAGE_ADD,
        image_form(upload("first.jpg", image_bytes((640, 360), color=(200, 0, 0)))),
    )
    image = Image.objects.get()
    story = make_article(lead_image=image)
    old = {image.renditions[0]["webp"], image.crops["lead"][0]["webp"]}
    change = reverse("admin:articles_image_change", args=[image.pk])
    replacement = upload("second.jpg", image_bytes((640, 360), color=(0, 0, 200)))
    assert editor_client.post(change, image_form(replacement)).status_code == 302
    image.refresh_from_db()
    new = {image.renditions[0]["webp"], image.crops["lead"][0]["webp"]}
    assert not old & new
    assert new <= bucket.keys()
    page = editor_client.get(story.get_absolute_url()).content.decode()
    assert bucket.url + image.renditions[0]["webp"] in page
    assert not any(name in page for name in old)


def test_bad_upload_stores_nothing_in_the_bucket(editor_client, bucket):
    text = upload("photo.jpg", b"Not a picture at all.\n" * 40)
    response = editor_client.post(IMAGE_ADD, image_form(text))
    assert response.status_code == 200
    assert "is not a JPEG, PNG" in response.content.decode()
    assert not Image.objects.exists()
    assert bucket.keys() == set()


def test_deleting_a_picture_in_the_admin_works(editor_client, bucket):
    image = make_image(size=(320, 180))
    delete = reverse("admin:articles_image_delete", args=[image.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Image.objects.exists()


def test_mp4_video_and_its_poster_come_from_the_bucket(editor_client, bucket):
    data = video_form(make_section(), lead_image=make_image(size=(320, 180)).pk)
    data["video_file"] = upload("clip.mp4", mp4_bytes(), "video/mp4")
    assert editor_client.post(reverse("admin:articles_article_add"), data).status_code
    story = Article.objects.get(slug="video")
    assert story.video_file.name in bucket.keys()
    assert bucket.head(story.video_file.name)["ContentType"] == "video/mp4"
    preview = editor_client.get(reverse("articles:article-preview", args=[story.pk]))
    urls = media_urls(preview)
    assert bucket.url + story.video_file.name in urls
    assert urls and all(url.startswith(bucket.url) for url in urls), urls


# Configuration


def s3_check(**env: str) -> subprocess.CompletedProcess:
    return manage("check", **PRODUCTION, **env)


def test_local_disk_is_the_default():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.STORAGES['default'])",
        **PRODUCTION,
    )
    assert "FileSystemStorage" in result.stdout, result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"AWS_S3_ENDPOINT_URL": "minio:9000"},
            "AWS_S3_ENDPOINT_URL must look like https://s3.example.com, not "
            "'minio:9000'",
        ),
        (
            {"AWS_S3_CUSTOM_DOMAIN": "https://cdn.example.com/"},
            "AWS_S3_CUSTOM_DOMAIN must look like media.example.com",
        ),
        (
            {"AWS_ACCESS_KEY_ID": "AKIA123"},
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together",
        ),
        ({"AWS_STORAGE_BUCKET_NAME": "My Bucket"}, "AWS_STORAGE_BUCKET_NAME must"),
    ],
    ids=["endpoint", "custom-domain", "key-without-secret", "bucket"],
)
def test_wrong_s3_value_stops_start_up_naming_the_variable(env, message):
    result = s3_check(**({"AWS_STORAGE_BUCKET_NAME": "news-media"} | env))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"newsroom: configuration error: {message}")


def test_endpoint_without_a_bucket_stops_start_up():
    result = s3_check(AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000")
    assert result.returncode != 0
    assert "AWS_S3_ENDPOINT_URL is set but AWS_STORAGE_BUCKET_NAME is not" in (
        result.stderr
    )


def test_s3_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        AWS_STORAGE_BUCKET_NAME="news-media",
        AWS_S3_ENDPOINT_URL="https://s3.example.com",
        AWS_S3_CUSTOM_DOMAIN=CDN,
        AWS_ACCESS_KEY_ID="AKIA123",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert result.returncode == 0, result.stderr
