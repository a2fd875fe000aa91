"""Links to stories readers cannot see yet: the "Read more" and "See also"
pickers say which candidates are not live, and saving a story warns about
each link that will not show; and, in Chromium, a full stop typed after a
link in the body stays outside it, and the See also picker and warning
work in the page."""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from articles.link_targets import when
from articles.models import Article, ReadMoreLink, SeeAlsoLink

from .factories import make_article, make_section
from .test_admin import story_form
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_workflow import DESKTOP, log_in, pick_autocomplete
from .test_workflow import token

KARACHI = ZoneInfo("Asia/Karachi")
# Tuesday 2 December, mid-morning in the newsroom.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=KARACHI)
NEXT_WEEK = datetime(2026, 12, 9, 14, 0, tzinfo=KARACHI)
NEXT_YEAR = datetime(2027, 1, 5, 9, 30, tzinfo=KARACHI)

LINK_SEARCH = reverse("admin:articles_article_link_autocomplete")


@pytest.fixture
def newsroom_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def candidates() -> dict[str, Article]:
    """One story in each state a link target can be in."""
    Status = Article.Status
    return {
        "live": make_article(headline="Floods in Sindh", published_at=NOW),
        "scheduled": make_article(headline="Floods in Punjab", published_at=NEXT_WEEK),
        "next year": make_article(
            headline="Floods in Balochistan", published_at=NEXT_YEAR
        ),
        "draft": make_article(
            headline="Floods in Kashmir", status=Status.DRAFT, published_at=None
        ),
        "review": make_article(
            headline="Floods in Swat", status=Status.REVIEW, published_at=None
        ),
        "withdrawn": make_article(headline="Floods in Thar", status=Status.WITHDRAWN),
    }


def search(client, model_name: str, term: str) -> list[str]:
    response = client.get(
        LINK_SEARCH,
        {
            "app_label": "articles",
            "model_name": model_name,
            "field_name": "target",
            "term": term,
        },
    )
    assert response.status_code == 200
    return sorted(r["text"] for r in json.loads(response.content)["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", ["readmorelink", "seealsolink"])
def test_link_pickers_say_which_stories_are_not_live(
    editor_client, newsroom_clock, model_name
):
    candidates()
    assert search(editor_client, model_name, "floods") == [
        "Floods in Balochistan — scheduled 5 Jan 2027 09:30",
        "Floods in Kashmir — draft",
        "Floods in Punjab — scheduled 9 Dec 14:00",
        "Floods in Sindh",
        "Floods in Swat — in review",
        "Floods in Thar — withdrawn",
    ]


@pytest.mark.django_db
def test_a_scheduled_story_reads_plain_once_it_is_live(client, editor):
    make_article(headline="Floods in Punjab", published_at=NEXT_WEEK)
    with time_machine.travel(NEXT_WEEK - timedelta(minutes=1), tick=False):
        client.force_login(editor)  # a session of that day
        assert search(client, "seealsolink", "punjab") == [
            "Floods in Punjab — scheduled 9 Dec 14:00"
        ]
    with time_machine.travel(NEXT_WEEK, tick=False):
        assert search(client, "seealsolink", "punjab") == ["Floods in Punjab"]


@pytest.mark.django_db
def test_the_link_search_still_needs_a_staff_login(client, newsroom_clock):
    candidates()
    response = client.get(
        LINK_SEARCH,
        {"app_label": "articles", "model_name": "seealsolink", "field_name": "target"},
    )
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_story_form_pickers_use_the_link_search_and_label_chosen_targets(
    editor_client, newsroom_clock
):
    stories = candidates()
    story = make_article(headline="Rain stops")
    ReadMoreLink.objects.create(article=story, target=stories["draft"])
    SeeAlsoLink.objects.create(article=story, target=stories["scheduled"])
    SeeAlsoLink.objects.create(article=story, target=stories["live"], position=2)
    page = editor_client.get(
        reverse("admin:articles_article_change", args=[story.pk])
    ).content.decode()

    for prefix in ("read_more_links", "see_also_links"):
        select = re.search(rf'<select name="{prefix}-0-target"[^>]*>', page)[0]
        assert f'data-ajax--url="{LINK_SEARCH}"' in select
    assert (
        f'<option value="{stories["draft"].pk}" selected>Floods in Kashmir — draft'
    ) in page
    assert (
        f'<option value="{stories["scheduled"].pk}" selected>'
        "Floods in Punjab — scheduled 9 Dec 14:00"
    ) in page
    assert (
        f'<option value="{stories["live"].pk}" selected>Floods in Sindh</option>'
    ) in page
    # Other pickers keep the site's own search.
    section = re.search(r'<select name="section"[^>]*>', page)[0]
    assert f'data-ajax--url="{reverse("admin:autocomplete")}"' in section


def save_with_links(client, story: Article, read_more=(), see_also=()):
    data = story_form(
        story.section,
        headline=story.headline,
        slug=story.slug,
        new_tags="",
        loaded_modified_at=token(story),
    )
    links = {"read_more_links": read_more, "see_also_links": see_also}
    for prefix, targets in links.items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(targets))
        for number, target in enumerate(targets):
            data[f"{prefix}-{number}-target"] = target.pk
            data[f"{prefix}-{number}-article"] = story.pk
            data[f"{prefix}-{number}-position"] = str(number)
            data[f"{prefix}-{number}-after_paragraph"] = "1"
    url = reverse("admin:articles_article_change", args=[story.pk])
    response = client.post(url, data, follow=True)
    assert response.redirect_chain, response.context["adminform"].form.errors
    return [(m.level_tag, m.message) for m in response.context["messages"]]


@pytest.mark.django_db
def test_saving_warns_about_each_link_that_will_not_show(editor_client, newsroom_clock):
    stories = candidates()
    story = make_article(headline="Rain stops")
    said = save_with_links(
        editor_client,
        story,
        read_more=[stories["draft"], stories["review"]],
        see_also=[stories["scheduled"], stories["withdrawn"], stories["live"]],
    )

    assert said[0][0] == "success"
    assert said[1:] == [
        (
            "warning",
            "“Floods in Kashmir” is linked under Read more but is a draft: "
            "the link will not show until it is published.",
        ),
        (
            "warning",
            "“Floods in Swat” is linked under Read more but is in review: "
            "the link will not show until it is published.",
        ),
        (
            "warning",
            "“Floods in Punjab” is linked under See also but is scheduled for "
            "9 Dec 14:00: the link shows from then.",
        ),
        (
            "warning",
            "“Floods in Thar” is linked under See also but is withdrawn: "
            "the link will not show unless it is published again.",
        ),
    ]
    assert story.see_also_links.count() == 3
    assert story.read_more_links.count() == 2


@pytest.mark.django_db
def test_links_to_live_stories_and_addresses_save_without_warnings(
    editor_client, newsroom_clock
):
    stories = candidates()
    story = make_article(headline="Rain stops")
    said = save_with_links(
        editor_client, story, read_more=[stories["live"]], see_also=[stories["live"]]
    )
    SeeAlsoLink.objects.create(
        article=story, url="https://example.org/", title="Elsewhere", position=5
    )
    said += save_with_links(editor_client, story)
    assert [level for level, _ in said] == ["success", "success"]


@pytest.mark.django_db
def test_a_new_story_is_warned_about_its_links_too(editor_client, newsroom_clock):
    stories = candidates()
    data = story_form(make_section())
    data |= {
        "see_also_links-TOTAL_FORMS": "1",
        "see_also_links-0-target": stories["draft"].pk,
        "see_also_links-0-position": "1",
    }
    add = reverse("admin:articles_article_add")
    response = editor_client.post(add, data, follow=True)
    said = [m.message for m in response.context["messages"]]
    assert "was added successfully" in said[0]
    assert said[1:] == [
        "“Floods in Kashmir” is linked under See also but is a draft: "
        "the link will not show until it is published."
    ]


# In the browser: the body editor.


def put_caret(page, body, selector: str, offset: int = 0, at_end=False) -> None:
    """Put the editor's caret in the first `selector` element of the body:
    at its end, or `offset` letters into its text. Set as a selection, not
    by a click and arrow keys, whose outcome depends on where a click lands
    and on timing when the machine is busy."""
    body.focus()
    page.evaluate(
        """([selector, offset, atEnd]) => {
            const editor = document.querySelector(".field-body [contenteditable=true]");
            const element = editor.querySelector(selector);
            const range = document.createRange();
            if (atEnd) {
                range.selectNodeContents(element);
                range.collapse(false);
            } else {
                range.setStart(element.firstChild, offset);
                range.collapse(true);
            }
            const view = editor.editor.view;
            window.caretWanted = view.posAtDOM(range.startContainer, range.startOffset);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [selector, offset, at_end],
    )
    # ProseMirror takes the DOM selection on its "selectionchange" event,
    # later when the machine is busy: wait until its own selection is there.
    page.wait_for_function(
        """() => {
            const view = document.querySelector(
                ".field-body [contenteditable=true]").editor.view;
            const s = view.state.selection;
            return s.empty && s.from === window.caretWanted;
        }"""
    )


def write_linked_word(page, live_server) -> None:
    """A new story whose body is "See the programme" with "programme"
    linked through the editor's link dialog; the caret is left in the
    link, on its last letter's right."""
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.fill("#id_headline", "Choir tours Sindh")
    page.fill("#id_standfirst", "Twelve towns in twelve days.")
    body = page.locator(".field-body [contenteditable=true]")
    body.click()
    page.keyboard.type("See the programme")
    for _ in "programme":
        page.keyboard.press("Shift+ArrowLeft")
    page.click(".prose-menubar__button[data-name=link]")
    dialog = page.locator("dialog.prose-editor-dialog[open]")
    dialog.locator("input[name=href]").fill("https://example.org/programme")
    dialog.locator("button[type=submit]").click()
    expect(body.locator("a")).to_have_text("programme")
    pick_autocomplete(page, "section", "Cul", "Culture")
    page.select_option("#id_status", "draft")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_full_stop_typed_after_a_link_stays_outside_it(
    browser,  # noqa: F811
    live_server,
    editor,
):
    make_section(name="Culture", slug="culture")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server, "editor")
    write_linked_word(page, live_server)
    body = page.locator(".field-body [contenteditable=true]")
    put_caret(page, body, "p", at_end=True)  # after the link, as End does
    page.keyboard.type(". Tickets are free.")
    expect(body.locator("a")).to_have_text("programme")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    stored = Article.objects.get(slug="choir-tours-sindh").body
    assert re.search(
        r'<a href="https://example.org/programme"[^>]*>programme</a>\. Tickets', stored
    ), stored
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_text_typed_inside_a_link_stays_in_it(
    browser,  # noqa: F811
    live_server,
    editor,
):
    make_section(name="Culture", slug="culture")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server, "editor")
    write_linked_word(page, live_server)
    body = page.locator(".field-body [contenteditable=true]")
    put_caret(page, body, "a", offset=len("program"))
    page.keyboard.type("-pro")  # between "program" and "me"
    expect(body.locator("a")).to_have_text("program-prome")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    stored = Article.objects.get(slug="choir-tours-sindh").body
    assert re.search(r"<p>See the <a [^>]*>program-prome</a></p>", stored), stored
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_see_also_picker_shows_a_scheduled_story_and_saving_warns(
    browser,  # noqa: F811
    live_server,
    editor,
):
    coming = timezone.now() + timedelta(days=7)
    scheduled = make_article(headline="Floods in Punjab", published_at=coming)
    make_article(headline="Floods in Sindh")
    story = make_article(headline="Rain stops")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
    page.click("#see_also_links-group .add-row a")
    page.click("#see_also_links-0 .field-target .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Floods")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text(
        [f"Floods in Punjab — scheduled {when(coming)}", "Floods in Sindh"]
    )
    options.filter(has_text="Punjab").click()
    page.click("input[name=_continue]")
    messages = page.locator(".messagelist li")
    expect(messages.nth(0)).to_contain_text("was changed successfully")
    expect(messages.nth(1)).to_have_text(
        f"“Floods in Punjab” is linked under See also but is scheduled for "
        f"{when(coming)}: the link shows from then."
    )
    assert story.see_also_links.get().target == scheduled
    page.close()
