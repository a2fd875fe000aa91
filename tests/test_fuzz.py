"""Property-based tests (hypothesis): whatever a reader or an editor sends to
any public address or admin list, the answer is 200, 204, a redirect, 400,
404, 405 (a GET to the POST-only beacon) or 410 (and in the admin 403, the
autocomplete's answer for a model it does not serve), never a 500.

Examples are derived from a fixed seed (derandomize), so a run in CI tries
the same inputs as on a laptop; the number of examples (FUZZ_EXAMPLES, 400
by default, per test) keeps each database's run within about a minute on
a small machine.
"""

import os
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles.models import Article, Image
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_region,
    make_section,
    make_source,
)

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    deadline=None,
    derandomize=True,
    # No example database (.hypothesis/): every run tries the same inputs.
    database=None,
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")),
    # The database rows and the client are made once per test and shared by
    # its examples, which only read (or count views in the cache).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACCEPTABLE = {200, 204, 301, 302, 303, 304, 307, 308, 400, 404, 405, 410}
ADMIN = f"/{django_settings.ADMIN_URL}"


@pytest.fixture
def site(db, settings):
    """A little of everything a page may show; the page cache off, so every
    example runs its view (the cache keys on a few parameters only)."""
    settings.PAGE_CACHE_SECONDS = 0
    section = make_section(slug="business")
    region = make_region(slug="europe")
    author = make_author(slug="ann-reporter", photo=make_image())
    story = make_article(
        section=section,
        regions=[region],
        authors=[author],
        tags=["Floods", "پاکستان", "2024"],
        source=make_source(url="https://agency.example/"),
        lead_image=Image.objects.get(),
    )
    make_article(
        section=section,
        kind=Article.Kind.VIDEO,
        video_url="https://www.youtube.com/watch?v=abc123",
    )
    make_article(section=section, status=Article.Status.WITHDRAWN, slug="gone")
    make_article(section=section, status=Article.Status.DRAFT, slug="draft")
    return {
        "slugs": ["business", "europe", "ann-reporter", "floods", "پاکستان", "2024"],
        "ids": [story.pk, story.pk + 1, story.pk + 2, story.pk + 3],
        "story_slug": story.slug,
    }


# Values a reader, a crawler or an attacker may send: any text (NUL,
# control characters and any script included; hypothesis leaves out lone
# surrogates, which no request can carry), numbers of any size and sign,
# dates, and the site's own slugs and ids.
def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([0, -1, 2**31, 2**63, 2**64]),
    ).map(str)


def values(site) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=30),
        numbers(),
        st.dates().map(str),
        st.sampled_from(site["slugs"] + [str(i) for i in site["ids"]]),
    )


def segment(site) -> st.SearchStrategy[str]:
    # Mostly the site's own slugs, so most examples reach a view's parameters.
    slugs = st.sampled_from(site["slugs"])
    return st.one_of(slugs, slugs, slugs, st.text(min_size=1, max_size=20))


def public_paths(site) -> st.SearchStrategy[str]:
    seg = segment(site).map(lambda text: quote(text, safe=""))
    story_id = st.one_of(st.sampled_from(site["ids"]), numbers()).map(str)
    kinds = st.sampled_from(["section", "region", "tag", "author"])
    fixed = st.sampled_from(
        [
            "/",
            "/video/",
            "/search/",
            "/most-read/",
            "/robots.txt",
            "/sitemap.xml",
            "/sitemap-news.xml",
            "/sitemap-stories.xml",
            "/sitemap-tags.xml",
            "/feed/",
            "/feed/atom/",
            "/healthz",
            "/readyz",
            "/stats/view/",
        ]
    )
    return st.one_of(
        fixed,
        fixed,
        fixed,
        st.builds(lambda k, s: f"/{k}/{s}/", kinds, seg),
        st.builds(lambda k, s: f"/{k}/{s}/", kinds, seg),
        st.builds(
            lambda k, s, a: f"/{k}/{s}/feed/{a}",
            kinds,
            seg,
            st.sampled_from(["", "atom/"]),
        ),
        st.builds(lambda s: f"/sitemap-{s}.xml", seg),
        st.builds(lambda i: f"/news/{i}/", story_id),
        st.builds(
            lambda i, s: f"/news/{i}/{s}/",
            story_id,
            st.one_of(st.just(site["story_slug"]), seg),
        ),
        st.builds(lambda i: f"/preview/{i}/", story_id),
        st.builds(lambda a, b: f"/{a}/{b}", seg, seg),
    )


PUBLIC_PARAMETERS = ["page", "p", "q", "section", "region", "since", "until", "story"]


def queries(site, names: list[str]) -> st.SearchStrategy[dict]:
    # Mostly the names the views read, so that examples get past the admin's
    # refusal of unknown ones (a redirect to ?e=1).
    known = st.sampled_from(names)
    name = st.one_of(known, known, known, st.text(max_size=10))
    return st.dictionaries(
        name, st.lists(values(site), min_size=1, max_size=2), max_size=4
    )


def check(response, address, acceptable=ACCEPTABLE) -> None:
    assert response.status_code in acceptable, (response.status_code, address)


def test_any_request_to_a_public_address_is_answered_without_a_server_error(
    site, client
):
    client.raise_request_exception = False

    @FUZZ
    @given(
        method=st.sampled_from(["get", "get", "get", "post", "head"]),
        path=public_paths(site),
        query=queries(site, PUBLIC_PARAMETERS),
    )
    def request(method, path, query):
        if method == "post":
            response = client.post(path, query)
        else:
            response = getattr(client, method)(path, query)
        check(response, (method, path, query))

    request()


# The admin


def changelist_parameters(model_admin, user) -> list[str]:
    """The query parameters a changelist reads: its filters' (as the filter
    sidebar links them), search, ordering, page, the date hierarchy's, the
    popup's, and lookups on each field (the admin allows those too)."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = ["q", "o", "p", "all", "e", "_to_field", "_popup", "_changelist_filters"]
    for spec in changelist.filter_specs:
        names += spec.expected_parameters()
    if model_admin.date_hierarchy:
        names += [
            f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")
        ]
    for field in model_admin.model._meta.get_fields():
        if isinstance(field, models.Field) and not field.many_to_many:
            names += [
                field.name,
                f"{field.name}__exact",
                f"{field.name}__in",
                f"{field.name}__gte",
            ]
    return names


def autocomplete_queries(site) -> st.SearchStrategy[dict]:
    """The admin's autocomplete: the fields that use it, or anything."""
    fields = []
    for model_admin in admin.site._registry.values():
        inlines = [model_admin] + [
            inline(model_admin.model, admin.site) for inline in model_admin.inlines
        ]
        for owner in inlines:
            for field_name in owner.autocomplete_fields:
                meta = owner.model._meta
                fields.append((meta.app_label, meta.model_name, field_name))
    real = st.sampled_from(fields)
    field = st.one_of(real, real, st.tuples(values(site), values(site), values(site)))
    return st.builds(
        lambda f, term, page: {
            "app_label": f[0],
            "model_name": f[1],
            "field_name": f[2],
            "term": term,
            "page": page,
        },
        field,
        values(site),
        values(site),
    )


def admin_requests(site, user) -> st.SearchStrategy[tuple[str, dict]]:
    changelists = []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(_request(user)):
            continue
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        changelists.append(
            st.tuples(
                st.just(url), queries(site, changelist_parameters(model_admin, user))
            )
        )
    return st.one_of(
        *changelists,
        st.tuples(st.just(reverse("admin:autocomplete")), autocomplete_queries(site)),
    )


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("role", ["editor", "administrator"])
def test_any_admin_filter_search_or_autocomplete_is_answered_without_a_server_error(
    site, client, request, role
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    client.raise_request_exception = False

    @FUZZ
    @given(address=admin_requests(site, user))
    def fuzz(address):
        url, query = address
        # The autocomplete answers 403 to a model or field it does not serve
        # (Django's own answer), as to a missing permission.
        check(client.get(url, query), (url, query), ACCEPTABLE | {403})

    fuzz()


def admin_actions(site, user) -> st.SearchStrategy[tuple[str, dict]]:
    """POSTs of a changelist's action form: its actions or any name, on
    the site's ids, any values, or every row (select_across)."""
    posts = []
    ids = st.sampled_from([str(i) for i in site["ids"]])
    for model, model_admin in admin.site._registry.items():
        request = _request(user)
        if not model_admin.has_view_permission(request):
            continue
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        actions = list(model_admin.get_actions(request)) or ["delete_selected"]
        posts.append(
            st.builds(
                lambda url, action, selected, across, index: (
                    url,
                    {
                        "action": action,
                        "_selected_action": selected,
                        "select_across": across,
                        "index": index,
                    },
                ),
                st.just(url),
                st.one_of(st.sampled_from(actions), st.text(max_size=10)),
                st.lists(st.one_of(ids, values(site)), max_size=3),
                st.sampled_from(["0", "1", "", "x"]),
                st.one_of(st.just("0"), values(site)),
            )
        )
    return st.one_of(*posts)


def test_any_admin_action_request_is_answered_without_a_server_error(
    site, client, editor
):
    client.force_login(editor)
    client.raise_request_exception = False

    @FUZZ
    @given(post=admin_actions(site, editor))
    def fuzz(post):
        url, data = post
        # Actions run inside the test's transaction: what one example
        # publishes or withdraws, the next may see; all are valid states.
        check(client.post(url, data), (url, data), ACCEPTABLE | {403})

    fuzz()
