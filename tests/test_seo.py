"""What search engines and social sites read from a page: canonical link,
description, Open Graph and Twitter tags, and JSON-LD structured data."""

import json
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from PIL import Image as PILImage

from articles.models import Article, GalleryImage
from articles.templatetags.articles_tags import absolute_url, json_ld

from .factories import make_article, make_author, make_image, make_region, make_section

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


class HeadParser(HTMLParser):
    """Collects <meta>, <link rel> and JSON-LD blocks and the <title>."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: dict[str, list[str]] = {}
        self.json_ld: list[str] = []
        self.title = ""
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link":
            self.links.setdefault(attrs.get("rel"), []).append(attrs.get("href"))
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in = "json_ld"
            self.json_ld.append("")
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "json_ld":
            self.json_ld[-1] += data
        elif self._in == "title":
            self.title += data


def head(client, url: str, status: int = 200) -> HeadParser:
    response = client.get(url)
    assert response.status_code == status, url
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def structured(client, url: str) -> dict[str, dict]:
    """The page's JSON-LD blocks, parsed, by @type."""
    blocks = [json.loads(text) for text in head(client, url).json_ld]
    assert all(block["@context"] == "https://schema.org" for block in blocks)
    by_type = {block["@type"]: block for block in blocks}
    assert len(by_type) == len(blocks)
    return by_type


@pytest.fixture
def site():
    section = make_section(name="Business", slug="business", description="Money.")
    region = make_region(name="Asia", slug="asia")
    author = make_author(name="Amina Khan", slug="amina-khan", bio="Reports.")
    story = make_article(
        headline="Rupee steadies",
        standfirst="The currency held firm.",
        section=section,
        regions=[region],
        authors=[author],
        tags=["Economy"],
        lead_image=make_image(size=(1600, 900)),
    )
    return {"story": story}


PAGES = [
    "/",
    "/section/business/",
    "/region/asia/",
    "/tag/economy/",
    "/author/amina-khan/",
    "/video/",
    "/search/?q=rupee",
]


@pytest.mark.parametrize("url", [*PAGES, "story"])
def test_every_page_has_canonical_description_and_share_tags(client, site, url):
    if url == "story":
        url = site["story"].get_absolute_url()
    page = head(client, url)
    if not url.startswith("/search/"):
        (canonical,) = page.links["canonical"]
        assert canonical == f"{BASE}{url}"
        assert page.meta["og:url"] == [canonical]
    (description,) = page.meta["description"]
    assert len(description) > 5
    assert page.meta["og:description"] == [description]
    assert page.meta["og:title"][0]
    assert page.meta["og:site_name"] == ["Pakistan Christian TV"]
    assert page.meta["og:type"][0] in ("website", "article", "profile")
    (image,) = page.meta["og:image"]
    assert image.startswith(f"{BASE}/")
    assert int(page.meta["og:image:width"][0]) >= 600
    assert int(page.meta["og:image:height"][0]) >= 300
    assert page.meta["og:image:alt"][0]
    assert page.meta["twitter:card"] == ["summary_large_image"]


def test_not_found_page_has_share_tags_too(client):
    page = head(client, "/no-such-page/", status=404)
    assert page.meta["og:image"][0] == f"{BASE}/static/img/share.png"
    assert page.meta["twitter:card"] == ["summary_large_image"]


def test_article_shares_its_own_picture_and_dates(client, site):
    story = site["story"]
    page = head(client, story.get_absolute_url())
    rendition = story.lead_image.renditions[3]
    assert rendition["width"] == 1280
    assert page.meta["og:image"] == [f"{BASE}/media/{rendition['jpeg']}"]
    assert page.meta["og:image:width"] == ["1280"]
    assert page.meta["og:image:height"] == ["720"]
    assert page.meta["og:image:alt"] == [story.lead_image.alt_text]
    assert page.meta["og:type"] == ["article"]
    assert page.meta["og:title"] == ["Rupee steadies"]
    assert page.meta["description"] == ["The currency held firm."]
    published = parse_datetime(page.meta["article:published_time"][0])
    assert published == story.published_at.replace(microsecond=0)
    assert page.meta["article:section"] == ["Business"]
    assert page.meta["article:tag"] == ["Economy"]


def test_default_share_image_exists_and_is_large_enough():
    path = finders.find("img/share.png")
    with PILImage.open(path) as image:
        assert image.size == (1200, 630)
    with PILImage.open(finders.find("img/logo.png")) as logo:
        assert logo.format == "PNG" and logo.size == (512, 512)


def test_news_article_json_ld_has_every_required_field(client, site):
    story = site["story"]
    data = structured(client, story.get_absolute_url())
    article = data["NewsArticle"]
    url = f"{BASE}{story.get_absolute_url()}"
    assert article["headline"] == "Rupee steadies"
    assert article["url"] == url
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert article["description"] == "The currency held firm."
    # 640, 1280 and 1920 px, or the largest there is: the original is 1600.
    widths = [image["width"] for image in article["image"]]
    assert widths == [640, 1280, 1600]
    for image in article["image"]:
        assert image["@type"] == "ImageObject"
        assert image["url"].startswith(f"{BASE}/media/renditions/")
        assert image["height"] == image["width"] * 9 // 16
    assert parse_datetime(article["datePublished"]) == story.published_at
    assert parse_datetime(article["dateModified"]) == story.published_at
    assert article["author"] == [
        {"@type": "Person", "name": "Amina Khan", "url": f"{BASE}/author/amina-khan/"}
    ]
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization"
    assert publisher["name"] == "Pakistan Christian TV"
    assert publisher["logo"]["url"] == f"{BASE}/static/img/logo.png"
    assert (publisher["logo"]["width"], publisher["logo"]["height"]) == (512, 512)
    assert article["articleSection"] == "Business"
    assert article["keywords"] == ["Economy"]

    crumbs = data["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Home", f"{BASE}/"),
        (2, "Business", f"{BASE}/section/business/"),
        (3, "Rupee steadies", url),
    ]
    assert "VideoObject" not in data


def test_updated_story_gives_its_update_time_and_wire_story_the_publisher(client):
    published = timezone.now() - timedelta(hours=6)
    story = make_article(
        published_at=published, updated_at=published + timedelta(hours=3)
    )
    article = structured(client, story.get_absolute_url())["NewsArticle"]
    modified = parse_datetime(article["dateModified"])
    assert modified == published + timedelta(hours=3)
    assert article["author"][0]["@type"] == "Organization"
    assert article["author"][0]["name"] == "Pakistan Christian TV"
    # Without a picture the default share image stands in.
    assert article["image"][0]["url"] == f"{BASE}/static/img/share.png"


def test_video_story_adds_a_video_object(client):
    story = make_article(
        kind=Article.Kind.VIDEO,
        video_url="https://www.youtube.com/watch?v=abcDEF12345",
        video_duration=timedelta(minutes=2, seconds=35),
        lead_image=make_image(size=(1280, 720)),
    )
    video = structured(client, story.get_absolute_url())["VideoObject"]
    assert video["name"] == story.headline
    assert video["description"] == story.standfirst
    assert video["thumbnailUrl"][0].startswith(f"{BASE}/media/renditions/")
    assert parse_datetime(video["uploadDate"]) == story.published_at
    assert video["embedUrl"] == "https://www.youtube-nocookie.com/embed/abcDEF12345"
    assert "contentUrl" not in video
    assert video["duration"] == "P0DT00H02M35S"


def test_uploaded_video_gives_its_file_and_no_unknown_duration(client):
    story = make_article(
        kind=Article.Kind.VIDEO,
        video_file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="clip.mp4"),
    )
    video = structured(client, story.get_absolute_url())["VideoObject"]
    assert video["contentUrl"].startswith(f"{BASE}/media/video/")
    assert video["contentUrl"].endswith(".mp4")
    assert "embedUrl" not in video and "duration" not in video
    assert video["thumbnailUrl"] == [f"{BASE}/static/img/share.png"]


def test_gallery_lists_every_photo(client):
    story = make_article(
        kind=Article.Kind.GALLERY, lead_image=make_image(size=(640, 360))
    )
    photos = [make_image(size=(900, 600)) for _ in range(4)]
    for position, photo in enumerate(photos):
        GalleryImage.objects.create(
            article=story,
            image=photo,
            position=position,
            caption=f"Gallery caption {position}",
        )
    images = structured(client, story.get_absolute_url())["NewsArticle"]["image"]
    gallery = [image for image in images if "caption" in image]
    assert [image["caption"] for image in gallery] == [
        f"Gallery caption {n}" for n in range(4)
    ]
    assert [image["url"] for image in gallery] == [
        f"{BASE}/media/{photo.renditions[-1]['jpeg']}" for photo in photos
    ]


def test_front_page_declares_the_website_search_and_organization(
    client, django_capture_on_commit_callbacks
):
    # Run the search-index refresh that follows a commit (see test_search).
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="Searchable mango story")
    data = structured(client, "/")
    website = data["WebSite"]
    assert website["url"] == f"{BASE}/"
    assert website["name"] == "Pakistan Christian TV"
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["query-input"] == "required name=search_term_string"
    template = action["target"]["urlTemplate"]
    assert template == f"{BASE}/search/?q={{search_term_string}}"
    # The template, filled in, is a working search.
    filled = template.replace("{search_term_string}", "mango").removeprefix(BASE)
    response = client.get(filled)
    assert not response.context["similar"]
    results = response.context["page"].object_list
    assert [story.headline for story in results] == ["Searchable mango story"]
    organization = data["Organization"]
    assert organization["url"] == f"{BASE}/"
    assert organization["logo"]["url"] == f"{BASE}/static/img/logo.png"


def test_json_ld_cannot_break_out_of_its_script_element(client):
    headline = '</script><script>alert("x")</script> & <!-- more'
    story = make_article(headline=headline)
    body = client.get(story.get_absolute_url()).content.decode()
    assert '</script><script>alert("x")' not in body
    assert "\\u003C/script\\u003E" in body
    article = structured(client, story.get_absolute_url())["NewsArticle"]
    assert article["headline"] == headline


def test_page_number_is_in_the_title_and_canonical_from_page_two(client):
    section = make_section(name="World", slug="world")
    for n in range(25):
        make_article(
            section=section, published_at=timezone.now() - timedelta(minutes=n + 1)
        )
    first = head(client, "/section/world/")
    assert first.title == "World news – Pakistan Christian TV"
    assert first.links["canonical"] == [f"{BASE}/section/world/"]
    second = head(client, "/section/world/?page=2")
    assert second.title == "World news – Page 2 – Pakistan Christian TV"
    assert second.links["canonical"] == [f"{BASE}/section/world/?page=2"]
    # Pages link to each other with plain links.
    body = client.get("/section/world/").content.decode()
    assert '<a rel="next" href="?page=2">' in body
    # A page number that is no page canonicalises to the page shown.
    assert head(client, "/section/world/?page=abc").links["canonical"] == [
        f"{BASE}/section/world/"
    ]
    # Page 1 has its Urdu counterpart; page 2 has none (other stories).
    assert 'hreflang="ur" href="' + BASE + '/ur/section/world/"' in body
    second_body = client.get("/section/world/?page=2").content.decode()
    assert 'rel="alternate" hreflang=' not in second_body


def test_canonical_address_is_the_one_links_and_sitemaps_give(client, editor):
    """Tracking parameters are dropped, a non-ASCII address is written as
    the tag's links and the sitemap write it, and the story page and its
    preview both name the story's own address."""
    story = make_article(tags=["پاکستان"])
    tag = story.tags.get()
    tag_url = f"{BASE}{tag.get_absolute_url()}"
    assert "%D9%BE" in tag_url
    page = head(client, f"{tag.get_absolute_url()}?utm_source=feed")
    assert page.links["canonical"] == [tag_url]
    assert page.meta["og:url"] == [tag_url]
    assert f"<loc>{tag_url}</loc>" in client.get("/sitemap-tags.xml").content.decode()

    story_url = f"{BASE}{story.get_absolute_url()}"
    assert head(client, f"{story.get_absolute_url()}?utm_medium=x").links[
        "canonical"
    ] == [story_url]
    client.force_login(editor)
    preview = head(client, reverse("articles:article-preview", args=[story.pk]))
    assert preview.links["canonical"] == [story_url]
    assert preview.meta["og:url"] == [story_url]


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/region/asia/?page=2", "News from Asia – Page 2 – Pakistan Christian TV"),
        ("/tag/economy/?page=2", "Economy – Page 2 – Pakistan Christian TV"),
        ("/author/amina-khan/?page=2", "Amina Khan – Page 2 – Pakistan Christian TV"),
        ("/video/?page=2", "Video news – Page 2 – Pakistan Christian TV"),
    ],
)
def test_listing_titles_carry_the_page_number(client, url, title):
    region = make_region(name="Asia", slug="asia")
    author = make_author(name="Amina Khan", slug="amina-khan")
    for _ in range(21):
        make_article(
            regions=[region],
            tags=["Economy"],
            authors=[author],
            kind=Article.Kind.VIDEO,
            video_url="https://vimeo.com/1",
        )
    assert head(client, url).title == title


def test_author_page_shares_the_author_photo(client):
    photo = make_image(size=(800, 800), alt_text="Portrait of Amina Khan")
    make_author(name="Amina Khan", slug="amina-khan", photo=photo)
    page = head(client, "/author/amina-khan/")
    assert page.meta["og:image"] == [f"{BASE}/media/{photo.renditions[1]['jpeg']}"]
    assert page.meta["og:image:alt"] == ["Portrait of Amina Khan"]
    assert page.meta["og:type"] == ["profile"]


def test_editors_can_give_a_video_duration(editor_client):
    response = editor_client.get("/admin/articles/article/add/")
    assert 'name="video_duration"' in response.content.decode()
    assert "Search engines show it next to the video." in response.content.decode()


def test_json_ld_filter_escapes_like_json_script():
    html = json_ld({"headline": "a </script> & <!-- b", "n": 1})
    assert html.startswith('<script type="application/ld+json">{')
    assert html.endswith("}</script>")
    assert html.count("</script>") == 1 and "<!--" not in html
    inner = html.removeprefix('<script type="application/ld+json">')
    assert json.loads(inner.removesuffix("</script>"))["headline"] == (
        "a </script> & <!-- b"
    )


def test_absolute_url_filter_keeps_absolute_addresses(rf):
    request = rf.get("/", secure=True)
    assert absolute_url("/media/a.jpg", request) == "https://testserver/media/a.jpg"
    assert absolute_url("https://cdn.example/a.jpg", request) == (
        "https://cdn.example/a.jpg"
    )
    assert absolute_url("", request) == ""
    # The 500 page renders without a request.
    assert absolute_url("/static/x.png", "") == "/static/x.png"
