from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from taggit.models import Tag

from .models import Article, Author, Region, Section
from .querysets import front_page_stories

PAGE_SIZE = 20
# Listings go this deep; older stories are found through search and sitemaps.
MAX_PAGES = 50

public_page = cache_control(public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        """Count at most MAX_PAGES pages: counting every one of 100,000 stories
        would cost more than rendering the page."""
        return self.object_list[: self.per_page * MAX_PAGES].count()


def paginate(request: HttpRequest, stories) -> Page:
    return CappedPaginator(stories.for_listing().newest_first(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )


@require_safe
@public_page
def front_page(request: HttpRequest) -> HttpResponse:
    return render(request, "articles/front_page.html", front_page_stories())


@require_safe
@public_page
def section_detail(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    page = paginate(request, Article.objects.published().filter(section=section))
    return render(
        request,
        "articles/section_detail.html",
        {"section": section, "page": page, "current_section": section.slug},
    )


@require_safe
@public_page
def region_detail(request: HttpRequest, slug: str) -> HttpResponse:
    region = get_object_or_404(Region, slug=slug)
    page = paginate(request, Article.objects.published().filter(regions=region))
    return render(
        request, "articles/region_detail.html", {"region": region, "page": page}
    )


@require_safe
@public_page
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    page = paginate(request, Article.objects.published().filter(tags=tag))
    return render(request, "articles/tag_detail.html", {"tag": tag, "page": page})


@require_safe
@public_page
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    page = paginate(request, Article.objects.published().filter(authors=author))
    return render(
        request, "articles/author_detail.html", {"author": author, "page": page}
    )


@require_safe
@public_page
def video_list(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request, Article.objects.published().filter(kind=Article.Kind.VIDEO)
    )
    return render(request, "articles/video_list.html", {"page": page})


def gone_or_404(request: HttpRequest, pk: int) -> HttpResponse:
    """410 Gone with a short notice for a withdrawn story, so search engines
    drop it; 404 for anything else. Runs one query."""
    if not Article.objects.filter(pk=pk, status=Article.Status.WITHDRAWN).exists():
        raise Http404("No such story.")
    return render(request, "articles/article_withdrawn.html", status=410)


@require_safe
def article_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    article = Article.objects.published().only("slug").filter(pk=pk).first()
    if article is None:
        return gone_or_404(request, pk)
    return redirect(article, permanent=True)


@require_safe
@public_page
def article_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    article = Article.objects.published().for_detail().filter(pk=pk).first()
    if article is None:
        return gone_or_404(request, pk)
    if article.slug != slug:
        # The slug was edited (or mistyped): send readers and search engines
        # to the one canonical address.
        return redirect(article, permanent=True)
    return render(
        request,
        "articles/article_detail.html",
        {"article": article, "current_section": article.section.slug},
    )


@require_safe
@never_cache
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Any story (draft, in review, scheduled, ...) in the real article
    template, for staff who may open it in the admin; 404 for everyone else,
    so the address does not even reveal that the story exists."""
    user = request.user
    if not (user.is_active and user.is_staff):
        raise Http404("No such story.")
    article = get_object_or_404(Article.objects.for_staff(user).for_detail(), pk=pk)
    response = render(
        request,
        "articles/article_detail.html",
        {"article": article, "current_section": article.section.slug, "preview": True},
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
