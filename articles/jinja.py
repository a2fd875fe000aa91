"""The Jinja2 environment of the reader-facing templates in templates/.

Readers' pages are rendered with Jinja2, faster than Django's template
language for pages made of many story cards; the admin keeps
Django's templates. The filters are the ones in templatetags/articles_tags.py,
plus `safe_url` (articles/html.py) for every address stored in the database
that becomes a link, `dir_attr` (articles/html.py) for a line of text that
may read the other way from the page, Django's date formatting (in the
site's time zone, as Django's `date` filter does) and its `url`, `static`
and `querystring` helpers.
"""

from datetime import datetime

from django.http import HttpRequest
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import template_localtime
from jinja2 import Environment, Undefined

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
    """Django's `date` filter, in the site's time zone."""
    return defaultfilters.date(template_localtime(moment), format_string)


def environment(**options) -> Environment:
    # Undefined prints as nothing and counts as false, whatever DEBUG is
    # (Django's default in DEBUG, DebugUndefined, would print its name).
    options["undefined"] = Undefined
    env = Environment(**options)
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        canonical_url=canonical_url,
        alternates=alternates,
        language_switch=language_switch,
    )
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
