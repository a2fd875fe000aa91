from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles.models import Article
from articles.pagecache import public_page, shows

from .reader import live_coverage


@require_safe
@public_page(max_age=settings.LIVE_UPDATES_MAX_AGE)
def live_updates(request: HttpRequest, pk: int) -> HttpResponse:
    """A live story's updates as its page lists them, alone: what the open
    page fetches every few seconds (static/js/live.js). Cached like the page
    and purged with it; kept only seconds by browsers, so each poll after a
    purge sees the change, while readers' polls hit the cache."""
    shows(f"s{pk}")
    article = (
        Article.objects.published()
        .select_related("live_coverage")
        .only("slug", "language", "live_coverage")
        .filter(pk=pk)
        .first()
    )
    live = live_coverage(article) if article else None
    if live is None:
        raise Http404("No live coverage.")
    return render(request, "live/live_updates.html", {"article": article, "live": live})
