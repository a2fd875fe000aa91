import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.template.backends import jinja2
from django.test.signals import template_rendered

from articles import cards, purge
from articles.roles import EDITOR, WRITER, setup_roles


@pytest.fixture(autouse=True, scope="session")
def jinja2_templates_are_seen_by_the_test_client():
    """The test client shows the templates a response used and their context
    (response.templates, response.context) by Django's template_rendered
    signal, which Django sends for its own templates under test; do the
    same for the Jinja2 pages."""
    render = jinja2.Template.render

    def instrumented(self, context=None, request=None):
        context = {} if context is None else context
        template_rendered.send(sender=self, template=self.template, context=context)
        return render(self, context, request)

    jinja2.Template.render = instrumented
    yield
    jinja2.Template.render = render


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploads and renditions go to a fresh folder for each test."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def shared_demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture
def demo_media(settings, shared_demo_media):
    """For tests that load the demo: its pictures are drawn the same every
    time, so renditions stored by an earlier test are reused, not encoded
    again (see articles/images.py)."""
    settings.MEDIA_ROOT = shared_demo_media


@pytest.fixture(autouse=True)
def empty_caches(settings):
    """Each test starts with no cached pages, cards (or counters) from
    another. This process hears of its own purges at once; reading the purge
    log (a query a second) is for other processes' changes, and would make
    query counts depend on the clock: tests of other processes run servers."""
    settings.PURGE_POLL_SECONDS = 3600
    cache.clear()
    cards.kept_cards.clear()
    purge.reset()
    yield
    cards.kept_cards.clear()
    purge.reset()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Persona accounts are made in many tests; the real hasher is slow on
    purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_staff(username: str, role: str) -> User:
    # The groups come from a data migration; browser tests flush the
    # database afterwards, so make them again when they are gone.
    if not Group.objects.filter(name=role).exists():
        setup_roles()
    user = User.objects.create_user(
        username,
        f"{username}@example.com",
        f"pw-{username}-1",
        is_staff=True,
        first_name=username.replace("_", " ").title(),
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def writer(db) -> User:
    """Writes stories and sends them for review; cannot publish."""
    return make_staff("writer", WRITER)


@pytest.fixture
def other_writer(db) -> User:
    return make_staff("other_writer", WRITER)


@pytest.fixture
def editor(db) -> User:
    """Edits and publishes any story and curates the front page."""
    return make_staff("editor", EDITOR)


@pytest.fixture
def administrator(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.com", "pw-admin-1")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client
