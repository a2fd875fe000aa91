"""What search engines and social sites read from a page: its canonical
address, and structured data (schema.org JSON-LD).

The structured data functions return plain dicts; templates print them with
the `json_ld` filter, which escapes them for a <script> element. Addresses
are absolute, built from the request.
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Page
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.duration import duration_iso_string
from django.utils.encoding import escape_uri_path
from django.utils.translation import get_language, gettext

from .images import rendition_for
from .models import Article, Image, remembered_reverse

SCHEMA = "https://schema.org"
# The lead picture is offered at these widths (or the nearest rendition), so
# search engines can pick one for each layout.
IMAGE_WIDTHS = (640, 1280, 1920)
LOGO = ("img/logo.png", 512, 512)


def absolute(request: HttpRequest, url: str) -> str:
    return request.build_absolute_uri(url)


def canonical_url(request: HttpRequest, page: Page | None = None) -> str:
    """The one address of the page shown (base.html's canonical link and
    og:url): its path on this request's scheme and host, without the query
    string (tracking parameters, a page number that is no page) but for
    ?page=N from a list's second page on."""
    url = f"{request.scheme}://{request.get_host()}{escape_uri_path(request.path)}"
    if page and page.number > 1:
        url += f"?page={page.number}"
    return url


def page_in_languages(
    request: HttpRequest, article: Article | None = None, translation=None
) -> dict[str, str]:
    """The address of the page shown in each language it exists in, by
    language code: a story's page and its (published) translation's, or
    a list page (front page, section, tag, search, ...) in every language.
    Empty for a page no address names (a 404 of an unknown address)."""
    if article:
        pages = {article.language: article.get_absolute_url()}
        if translation:
            pages[translation.language] = translation.get_absolute_url()
        return pages
    match = request.resolver_match
    if match is None or not match.view_name.startswith("articles:"):
        return {}
    return {
        code: remembered_reverse(match.view_name, code, **match.kwargs)
        for code, _ in settings.LANGUAGES
    }


def alternates(
    request: HttpRequest,
    article: Article | None = None,
    translation=None,
    page: Page | None = None,
) -> list[tuple[str, str]]:
    """The page's <link rel="alternate" hreflang> links, as (hreflang,
    absolute address): one for each language it exists in and x-default
    (the English page) when there is more than one. None from a list's
    second page on: its stories are not the other language's page 2."""
    if page and page.number > 1:
        return []
    pages = page_in_languages(request, article, translation)
    links = [(code, absolute(request, url)) for code, url in pages.items()]
    if len(pages) > 1 and settings.LANGUAGE_CODE in pages:
        links.append(("x-default", absolute(request, pages[settings.LANGUAGE_CODE])))
    return links


def language_switch(
    request: HttpRequest, article: Article | None = None, translation=None
) -> list[tuple[str, str, str]]:
    """The links of the language switch, as (code, name, address): the
    page shown in each other language, or that language's front page when
    the page is not in it (a story without a translation)."""
    current = article.language if article else get_language()
    pages = page_in_languages(request, article, translation)
    return [
        (
            code,
            name,
            pages.get(code) or remembered_reverse("articles:front-page", code),
        )
        for code, name in settings.LANGUAGES
        if code != current
    ]


def image_object(request: HttpRequest, image: Image, width: int) -> dict | None:
    rendition = rendition_for(image, width)
    if rendition is None:
        return None
    return {
        "@type": "ImageObject",
        "url": absolute(request, default_storage.url(rendition["jpeg"])),
        "width": rendition["width"],
        "height": rendition["height"],
    }


def logo(request: HttpRequest) -> dict:
    path, width, height = LOGO
    return {
        "@type": "ImageObject",
        "url": absolute(request, static(path)),
        "width": width,
        "height": height,
    }


def organization(request: HttpRequest) -> dict:
    return {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": absolute(request, reverse("articles:front-page")),
        "logo": logo(request),
    }


def front_page_data(request: HttpRequest) -> list[dict]:
    """WebSite, with the search box search engines may show, and the
    Organization behind it."""
    search = absolute(request, reverse("articles:search"))
    website = {
        "@context": SCHEMA,
        "@type": "WebSite",
        "name": settings.SITE_NAME,
        "url": absolute(request, reverse("articles:front-page")),
        "description": settings.SITE_TAGLINE,
        "inLanguage": get_language(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": f"{search}?q={{search_term_string}}",
            },
            "query-input": "required name=search_term_string",
        },
    }
    return [website, {"@context": SCHEMA, **organization(request)}]


def article_data(article: Article, request: HttpRequest) -> list[dict]:
    """NewsArticle and BreadcrumbList for a story page, and VideoObject for
    a video story. Uses what `for_detail()` and `load_parts()` loaded: no
    queries."""
    url = absolute(request, article.get_absolute_url())
    lead_images = []
    if article.lead_image:
        for width in IMAGE_WIDTHS:
            image = image_object(request, article.lead_image, width)
            if image and image not in lead_images:
                lead_images.append(image)
    gallery_images = []
    for item in article.gallery:
        image = image_object(request, item.image, 1280)
        if image:
            caption = item.display_caption or item.image.alt_text
            gallery_images.append(image | {"caption": caption})
    modified = article.updated_at if article.is_updated else article.published_at

    authors = [
        {
            "@type": "Person",
            "name": author.name,
            "url": absolute(request, author.get_absolute_url()),
        }
        for author in article.author_list
    ]
    if not authors:
        authors = [organization(request)]

    news_article = {
        "@context": SCHEMA,
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.headline,
        "description": article.standfirst,
        "image": lead_images + gallery_images,
        "datePublished": article.published_at.isoformat(),
        "dateModified": modified.isoformat(),
        "author": authors,
        "publisher": organization(request),
        "articleSection": article.section.name,
        "keywords": [tag.name for tag in article.tag_list],
        "inLanguage": article.language,
        "isAccessibleForFree": True,
    }
    if not news_article["image"]:
        news_article["image"] = [default_image(request)]
    data = [news_article, breadcrumbs(article, url, request)]
    if article.kind == Article.Kind.VIDEO:
        video = video_object(article, lead_images, request)
        if video:
            data.append(video)
    return data


def default_image(request: HttpRequest) -> dict:
    return {
        "@type": "ImageObject",
        "url": absolute(request, static("img/share.png")),
        "width": 1200,
        "height": 630,
    }


def breadcrumbs(article: Article, url: str, request: HttpRequest) -> dict:
    trail = [
        (gettext("Home"), absolute(request, reverse("articles:front-page"))),
        (
            article.section.local_name,
            absolute(request, article.section.get_absolute_url()),
        ),
        (article.headline, url),
    ]
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": item}
            for n, (name, item) in enumerate(trail, start=1)
        ],
    }


def video_object(
    article: Article, thumbnails: list[dict], request: HttpRequest
) -> dict | None:
    """VideoObject for a YouTube or Vimeo player or an uploaded MP4; None
    for a video story with neither."""
    video = {
        "@context": SCHEMA,
        "@type": "VideoObject",
        "name": article.headline,
        "description": article.standfirst,
        "thumbnailUrl": [image["url"] for image in thumbnails]
        or [default_image(request)["url"]],
        "uploadDate": article.published_at.isoformat(),
    }
    if article.video_embed:
        video["embedUrl"] = article.video_embed
    elif article.video_file:
        video["contentUrl"] = absolute(request, article.video_file.url)
    else:
        return None
    if article.video_duration:
        video["duration"] = duration_iso_string(article.video_duration)
    return video
