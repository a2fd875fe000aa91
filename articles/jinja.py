"""The Jinja2 environment of the reader-facing templates in templates/.

Readers' pages are rendered with Jinja2, faster than Django's template
language for pages made of many story cards; the admin keeps
Django's templates. The filters are the ones in templatetags/articles_tags.py,
plus `safe_url` (articles/html.py) for every address stored in the database
that becomes a link, `dir_attr` (articles/html.py) for a line of text that
may read the other way from the page, Django's date formatting (in the
site's time zone, as Django's `date` filter does) and its `url`, `static`
and `querystring` helpers. Interface text is marked for translation with
`_()` and `{% trans %}` (jinja2.ext.i18n on Django's gettext, so the active
language picks the catalogue in locale/), and `date` takes the name of a
format of newsroom/formats/<language>/formats.py.
"""

from datetime import datetime

from django.http import HttpRequest
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext, npgettext, pgettext
from jinja2 import Environment, Undefined

from live.reader import live_blog_data, live_coverage

from .html import dir_attr, safe_url
from .models import remembered_reverse
from .seo import alternates, canonical_url, language_switch
from .templatetags import articles_tags


def url(name: str, *args, **kwargs) -> str:
    """reverse() as templates call it: url("articles:section-feed", slug=...);
    remembered when the arguments are named (every page links the same
    sections, feeds and search)."""
    if args:
        return reverse(name, args=args, kwargs=kwargs or None)
    return remembered_reverse(name, **kwargs)


def querystring(request: HttpRequest, **changes) -> str:
    """The current query string with `changes` applied ("?page=2&q=flood"),
    like Django's {% querystring %} tag; None removes a parameter."""
    query = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return f"?{query.urlencode()}"


def date(moment: datetime | None, format_string: str) -> str:
    """Django's `date` filter, in the site's time zone; a format name such as
    "STORY_DATETIME_FORMAT" gives the page language's format."""
    return defaultfilters.date(
        template_localtime(moment), articles_tags.local_format(format_string)
    )


def environment(**options) -> Environment:
    # Undefined prints as nothing and counts as false, whatever DEBUG is
    # (Django's default in DEBUG, DebugUndefined, would print its name).
    options["undefined"] = Undefined
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    env = Environment(**options)
    env.install_gettext_callables(
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        canonical_url=canonical_url,
        alternates=alternates,
        language_switch=language_switch,
    )
    # A live story's updates (live/reader.py), for live/includes/coverage.html.
    env.globals.update(live_coverage=live_coverage, live_blog_data=live_blog_data)
    env.filters.update(
        date=date,
        iso=articles_tags.iso,
        short_time=articles_tags.short_time,
        picture=articles_tags.picture,
        rendition=articles_tags.rendition,
        rendition_url=articles_tags.rendition_url,
        absolute_url=articles_tags.absolute_url,
        json_ld=articles_tags.json_ld,
        safe_url=safe_url,
        dir_attr=dir_attr,
        linebreaksbr=defaultfilters.linebreaksbr,
        pluralize=defaultfilters.pluralize,
        truncatewords=defaultfilters.truncatewords,
        capfirst=defaultfilters.capfirst,
    )
    return env
