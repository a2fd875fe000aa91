"""The audit log's rows: sign-ins, role changes, publications (accounts)."""

from datetime import timedelta

from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from articles.models import Article
from articles.roles import EDITOR, WRITER

from .factories import make_article
from .test_workflow import change_url, edit_form, publish_fields, run_action

LOGIN = reverse("admin:login")
LOGOUT = reverse("admin:logout")
INDEX = reverse("admin:index")
AUDIT = reverse("admin:accounts_auditevent_changelist")


def rows(action: str) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action=action)
        .order_by("pk")
        .values_list("username", "address", "target", "detail")
    )


def test_sign_in_sign_out_and_refusals_are_recorded(editor):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.post(LOGIN, {"username": "Editr", "password": "guess"})
    client.post(LOGIN, {"username": "editor", "password": "pw-editor-1"})
    client.post(LOGOUT)
    assert rows("login_failed") == [
        ("Editr", "203.0.113.5", "", "wrong username or password")
    ]
    assert rows("login") == [("editor", "203.0.113.5", "", "")]
    assert rows("logout") == [("editor", "203.0.113.5", "", "")]
    assert AuditEvent.objects.get(action="login").actor == editor
    assert AuditEvent.objects.get(action="login_failed").actor is None


def test_a_role_change_in_the_admin_names_who_made_it(editor, administrator):
    writers = Group.objects.get(name=WRITER)
    client = Client(REMOTE_ADDR="192.0.2.1")
    client.force_login(administrator)
    AuditEvent.objects.all().delete()
    response = client.post(
        reverse("admin:auth_user_change", args=[editor.pk]),
        {
            "username": "editor",
            "first_name": "Editor",
            "last_name": "",
            "email": "editor@example.com",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [writers.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    changes = AuditEvent.objects.filter(action="role_changed")
    assert {(e.actor, e.address, e.target) for e in changes} == {
        (administrator, "192.0.2.1", "user editor")
    }
    details = sorted(e.detail for e in changes)
    assert details == [
        "groups: +Writer",
        "groups: -Editor",
        "is_superuser: False → True",
    ]
    # The audit list shows them, and finds them by username or target.
    listing = client.get(AUDIT, {"q": "user editor", "action": "role_changed"})
    assert listing.context["cl"].result_count == 3
    assert client.get(AUDIT, {"q": "nobody-such"}).context["cl"].result_count == 0


def test_a_change_that_leaves_the_roles_alone_records_nothing(editor, administrator):
    AuditEvent.objects.all().delete()
    editor.first_name = "Ed"
    editor.save()
    editor.save(update_fields=["last_login"])
    editor.groups.add(Group.objects.get(name=EDITOR))  # already in it
    assert not AuditEvent.objects.filter(action="role_changed").exists()


def test_role_changes_by_scripts_are_recorded_without_an_actor(editor):
    AuditEvent.objects.all().delete()
    editor.is_staff = False
    editor.save()
    permission = Permission.objects.get(codename="view_auditevent")
    editor.user_permissions.add(permission)
    Group.objects.get(name=EDITOR).user_set.remove(editor)
    editor.groups.clear()
    User.objects.create_superuser("root", "root@example.com", "pw-root-1")
    Group.objects.get(name=WRITER).permissions.add(permission)
    assert rows("role_changed") == [
        ("", None, "user editor", "is_staff: True → False"),
        ("", None, "user editor", "user_permissions: +accounts.view_auditevent"),
        ("", None, "user editor", "groups: -Editor"),
        ("", None, "user root", "new account: is_staff, is_superuser"),
        ("", None, "group Writer", "permissions: +accounts.view_auditevent"),
    ]
    assert not AuditEvent.objects.filter(actor__isnull=False).exists()


def test_publishing_scheduling_and_withdrawing_are_recorded(editor_client, editor):
    first = make_article(headline="Floods in Sindh", status="draft", published_at=None)
    second = make_article(headline="Choir tour", status="review", published_at=None)
    AuditEvent.objects.all().delete()

    run_action(editor_client, "publish_stories", [first])
    later = timezone.localtime(timezone.now() + timedelta(days=1))
    run_action(
        editor_client, "schedule_stories", [second], later.strftime("%Y-%m-%d %H:%M")
    )
    run_action(editor_client, "withdraw_stories", [first])
    assert rows("published") == [
        ("editor", "127.0.0.1", f"story {first.pk}: Floods in Sindh", "published now"),
        (
            "editor",
            "127.0.0.1",
            f"story {second.pk}: Choir tour",
            f"scheduled for {later:%d %b %Y %H:%M}",
        ),
    ]
    assert rows("withdrawn") == [
        ("editor", "127.0.0.1", f"story {first.pk}: Floods in Sindh", "")
    ]
    # Publishing what is already live records nothing new.
    run_action(editor_client, "publish_stories", [second])
    run_action(editor_client, "publish_stories", [second])
    assert len(rows("published")) == 3


def test_publishing_in_the_form_is_recorded_and_a_draft_save_is_not(editor_client):
    story = make_article(headline="Bishop visits", status="draft", published_at=None)
    AuditEvent.objects.all().delete()
    response = editor_client.post(change_url(story), edit_form(story, body="<p>A</p>"))
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()

    data = edit_form(story, status="published")
    data |= publish_fields(timezone.now() - timedelta(minutes=1))
    assert editor_client.post(change_url(story), data).status_code == 302
    assert rows("published") == [
        ("editor", "127.0.0.1", f"story {story.pk}: Bishop visits", "published now")
    ]
    # A correction to the live story is no new publication.
    data = edit_form(story, body="<p>Corrected.</p>")
    data |= publish_fields(Article.objects.get(pk=story.pk).published_at)
    assert editor_client.post(change_url(story), data).status_code == 302
    assert len(rows("published")) == 1


def test_a_story_published_by_a_script_needs_no_row(db):
    story = make_article(status="draft", published_at=None)
    story.status = Article.Status.PUBLISHED
    story.published_at = timezone.now()
    story.save()
    assert not AuditEvent.objects.filter(action="published").exists()
