import logging
import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language, override
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from redis.exceptions import RedisError
from taggit.models import Tag

from . import cards, frontpage, mostread, seo
from . import search as text_search
from .context_processors import navigation
from .forms import SearchForm
from .models import Article, Author, Region, Section, remembered_reverse
from .pagecache import public_page, shows, shows_only
from .querysets import load_parts, most_read_stories
from .roles import stories_for
from .sitemaps import SITEMAPS

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
# Listings go this deep; older stories are found through search and sitemaps.
MAX_PAGES = 50


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        """Count at most MAX_PAGES pages: counting every story of a large
        archive would cost more than rendering the page."""
        return self.object_list[: self.per_page * MAX_PAGES].count()


# "Most read" changes with every flush of the view counts; pages that show
# it fetch it from its own page, which is kept this long at most.
MOST_READ_MAX_AGE = 300


def paginate(request: HttpRequest, stories, place: str = "story_list") -> Page:
    """A page of a story list, newest first, each story with its card as
    the card template shows cards in `place`."""
    page = CappedPaginator(stories.for_cards().newest_first(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    cards.attach([(list(page.object_list), place)])
    return page


@require_safe
@public_page
def front_page(request: HttpRequest) -> HttpResponse:
    shows("front")
    context = frontpage.front_page_stories(*navigation(), get_language())
    frontpage.attach_cards(context)
    context["structured_data"] = seo.front_page_data(request)
    return render(request, "articles/front_page.html", context)


@require_safe
@public_page
def section_detail(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    shows(f"sec{section.pk}")
    page = paginate(
        request,
        Article.objects.in_page_language().filter(section=section),
        "section_page",
    )
    return render(
        request,
        "articles/section_detail.html",
        {"section": section, "page": page, "current_section": section.slug},
    )


@require_safe
@public_page
def region_detail(request: HttpRequest, slug: str) -> HttpResponse:
    region = get_object_or_404(Region, slug=slug)
    shows(f"reg{region.pk}")
    page = paginate(request, Article.objects.in_page_language().filter(regions=region))
    return render(
        request, "articles/region_detail.html", {"region": region, "page": page}
    )


@require_safe
@public_page
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    shows(f"tag{tag.pk}")
    page = paginate(request, Article.objects.in_page_language().filter(tags=tag))
    return render(request, "articles/tag_detail.html", {"tag": tag, "page": page})


@require_safe
@public_page
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    shows(f"au{author.pk}")
    page = paginate(request, Article.objects.in_page_language().filter(authors=author))
    return render(
        request, "articles/author_detail.html", {"author": author, "page": page}
    )


@require_safe
@public_page
def video_list(request: HttpRequest) -> HttpResponse:
    shows("video")
    page = paginate(
        request, Article.objects.in_page_language().filter(kind=Article.Kind.VIDEO)
    )
    return render(request, "articles/video_list.html", {"page": page})


def live_translation(article: Article) -> Article | None:
    """The story's translation if readers may see it (one query, only for a
    story that has one). The story's page notes it, so that its language
    switch follows the translation being published, withdrawn or renamed."""
    if not article.translation_id:
        return None
    shows(f"s{article.translation_id}")
    return (
        Article.objects.published()
        .only("slug", "language")
        .filter(pk=article.translation_id)
        .first()
    )


def gone_or_404(request: HttpRequest, pk: int) -> HttpResponse:
    """410 Gone with a short notice for a withdrawn story, so search engines
    drop it; 404 for anything else. Runs one query."""
    if not Article.objects.filter(pk=pk, status=Article.Status.WITHDRAWN).exists():
        raise Http404("No such story.")
    return render(request, "articles/article_withdrawn.html", status=410)


@require_safe
@public_page
def article_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    shows(f"s{pk}")
    article = Article.objects.published().only("slug", "language").filter(pk=pk).first()
    if article is None:
        return gone_or_404(request, pk)
    return redirect(article, permanent=True)


@require_safe
@public_page
def article_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    # Also on its 404 (not yet published) and 410 (withdrawn).
    shows(f"s{pk}")
    article = Article.objects.published().for_detail().filter(pk=pk).first()
    if article is None:
        return gone_or_404(request, pk)
    if article.slug != slug or article.language != get_language():
        # The slug was edited (or mistyped), or the story is in the other
        # language (/news/... for an Urdu story, /ur/news/... for an English
        # one): send readers and search engines to the one canonical address.
        return redirect(article, permanent=True)
    load_parts(article)
    shows(*(f"a{author.pk}" for author in article.author_list))
    shows(*(f"t{tag.pk}" for tag in article.tag_list))
    if article.source_id:
        shows(f"src{article.source_id}")
    return render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "translation": live_translation(article),
            "current_section": article.section.slug,
            "structured_data": seo.article_data(article, request),
        },
    )


@require_safe
@public_page(max_age=MOST_READ_MAX_AGE)
def most_read(request: HttpRequest) -> HttpResponse:
    """The "Most read" lists: a page of their own, which the front page and
    story pages fetch into theirs (static/js/most-read.js), so that those can
    stay cached for hours while this changes every few minutes."""
    return render(request, "articles/most_read.html", most_read_stories(get_language()))


@require_safe
@never_cache
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Any story (draft, in review, scheduled, ...) in the real article
    template, for staff who may open it (roles.may_view()); 404 for everyone
    else, so the address does not even reveal that the story exists."""
    stories = stories_for(request.user, Article.objects.for_detail())
    article = get_object_or_404(stories, pk=pk)
    load_parts(article)
    context = {
        "article": article,
        "translation": live_translation(article),
        "current_section": article.section.slug,
        "preview": True,
    }
    # The story's page as readers will see it, in the story's language.
    with override(article.language):
        response = render(request, "articles/article_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
@public_page
def search(request: HttpRequest) -> HttpResponse:
    # Any change to a published story may change what matches.
    shows("search")
    form = SearchForm(request.GET or None)
    context = {
        "form": form,
        "query": "",
        "page": None,
        "similar": False,
        "most_ranked": text_search.SEARCH_CANDIDATES,
    }
    if form.is_bound and not form.is_valid():
        # Too long, a null character, an unknown section or impossible dates.
        response = render(request, "articles/search.html", context, status=400)
    elif not form.is_bound or not form.cleaned_data["q"].strip():
        response = render(request, "articles/search.html", context)
    else:
        query = form.cleaned_data["q"].strip()
        stories = filter_stories(Article.objects.in_page_language(), form.cleaned_data)
        page = Paginator(stories.search(query).for_listing(), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        if page.paginator.count == 0:
            # Nothing matched as typed: offer headlines with similar words.
            similar = stories.search_similar(query).for_listing()
            page = Paginator(similar, PAGE_SIZE).get_page(request.GET.get("page"))
            context["similar"] = page.paginator.count > 0
        page.object_list = text_search.highlight(page.object_list, query)
        context |= {"query": query, "page": page}
        response = render(request, "articles/search.html", context)
    # Result pages are thin and endless; keep them out of search engines.
    response["X-Robots-Tag"] = "noindex"
    return response


def filter_stories(stories, filters: dict):
    """Apply the search form's section, region and date range (local days)."""
    if filters.get("section"):
        stories = stories.filter(section=filters["section"])
    if filters.get("region"):
        stories = stories.filter(regions=filters["region"])
    if filters.get("since"):
        start = timezone.make_aware(datetime.combine(filters["since"], time.min))
        stories = stories.filter(published_at__gte=start)
    if filters.get("until"):
        end = datetime.combine(filters["until"] + timedelta(days=1), time.min)
        stories = stories.filter(published_at__lt=timezone.make_aware(end))
    return stories


@require_safe
@public_page
def sitemap_index(request: HttpRequest) -> HttpResponse:
    # A sitemap lists thousands of stories: purged as a whole by any change
    # to a published story (its lastmod changes), not by each story's key.
    shows_only("site", "sitemap")
    return sitemap_views.index(
        request, SITEMAPS, sitemap_url_name="articles:sitemap-section"
    )


@require_safe
@public_page
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    response = sitemap_views.sitemap(
        request, SITEMAPS, section=section, template_name="articles/sitemap.xml"
    )
    response.render()
    shows_only("site", "sitemap")
    return response


@require_safe
@public_page
def robots_txt(request: HttpRequest) -> HttpResponse:
    # One robots.txt for the site, at its root: each language's sitemaps.
    languages = [code for code, _ in settings.LANGUAGES]
    context = {
        "sitemap_urls": [
            request.build_absolute_uri(address)
            for language in languages
            for address in (
                remembered_reverse("articles:sitemap-index", language),
                remembered_reverse(
                    "articles:sitemap-section", language, section="news"
                ),
            )
        ],
        "prefixes": [
            remembered_reverse("articles:front-page", language)
            for language in languages
        ],
    }
    return render(
        request, "robots.txt", context, content_type="text/plain; charset=utf-8"
    )


# Story ids are positive bigints; anything else is not a story.
MAX_STORY_ID = 2**63 - 1


@csrf_exempt
@never_cache
@require_POST
def story_view_beacon(request: HttpRequest) -> HttpResponse:
    """Count a view of a published story for "Most read" (see mostread.py).
    Sent by static/js/beacon.js; carries no cookie and sets none."""
    story = request.POST.get("story", "")
    if not re.fullmatch(r"[0-9]{1,19}", story) or not 0 < int(story) <= MAX_STORY_ID:
        return HttpResponseBadRequest("Expected a story id.")
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if mostread.is_bot(user_agent):
        return HttpResponse(status=204)
    if not Article.objects.published().filter(pk=int(story)).exists():
        return HttpResponse("No such story.", status=404)
    try:
        mostread.count_view(request, int(story))
        mostread.flush_if_due()
    except RedisError:
        # The page was served; losing a view while Redis is away is fine.
        logger.warning("Redis is unavailable: a story view was not counted.")
    return HttpResponse(status=204)
