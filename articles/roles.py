"""Who may do what in the newsroom: the roles, and the rules that go with them.

The roles are auth groups (Writer, Editor and Administrator). The data
migration 0003_roles and `manage.py setup_roles` call setup_roles(); run the
command again after adding models so the groups cover them.

The rules below narrow the groups' model permissions story by story. The
admin, the story form and the preview ask them and nothing else, so a new
rule is written here once.
"""

from django.apps import apps as global_apps
from django.db.models import Q, QuerySet

from .models import Article

WRITER = "Writer"
EDITOR = "Editor"
ADMINISTRATOR = "Administrator"

PUBLISH_PERMISSION = "articles.publish_article"

# Writers start and edit their own stories (may_edit() limits them to their
# own unpublished ones), pick taxonomy and authors, upload pictures and
# arrange links, bylines and galleries inside their stories.
WRITER_PERMISSIONS = [
    "articles.add_article",
    "articles.change_article",
    "articles.view_article",
    "articles.view_section",
    "articles.view_region",
    "articles.view_source",
    "articles.view_author",
    "articles.add_image",
    "articles.view_image",
    "articles.view_articlenote",
    "taggit.view_tag",
    *(
        f"articles.{action}_{model}"
        for model in ("byline", "readmorelink", "seealsolink", "galleryimage")
        for action in ("add", "change", "delete", "view")
    ),
]
# Writers draft live updates (live/); editors publish and delete them and
# start and end the coverage.
WRITER_LIVE_PERMISSIONS = [
    "add_liveupdate",
    "change_liveupdate",
    "view_liveupdate",
    "view_livecoverage",
]


def setup_roles(apps=global_apps) -> None:
    """Create the three groups, or reset their permissions to the ones above.

    Editors get every permission of the articles and taggit apps (publishing
    included); Administrators every permission there is. Works with the
    historical app registry of a migration too.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def named(names: list[str]) -> list:
        query = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        found = list(Permission.objects.filter(query))
        if len(found) != len(names):
            raise LookupError(f"Missing permissions for the {WRITER} role.")
        return found

    # The live app's permissions do not exist yet while articles' own
    # migrations run: they are added by live's migration 0002_roles.
    live = Permission.objects.filter(
        content_type__app_label="live", codename__in=WRITER_LIVE_PERMISSIONS
    )
    # Editors see the e-mail and push sends (alerts/; added by its
    # 0002_roles and 0004_push_roles), not the subscribers.
    sends = Permission.objects.filter(
        content_type__app_label="alerts",
        codename__in=["view_emailsend", "view_pushsend"],
    )
    roles = {
        WRITER: named(WRITER_PERMISSIONS) + list(live),
        EDITOR: list(
            Permission.objects.filter(
                content_type__app_label__in=["articles", "taggit", "live"]
            )
        )
        + list(sends),
        ADMINISTRATOR: list(Permission.objects.all()),
    }
    for name, permissions in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


# The statuses a writer may give a story: an editor takes it from review.
WRITER_STATUSES = [Article.Status.DRAFT, Article.Status.REVIEW]

# The story's publishing fields: editors only. The admin shows them to writers
# as text.
PUBLISHING_FIELDS = ["published_at", "is_breaking", "breaking_until", "front_page_rank"]

# What the story form refuses from a writer's POST, rather than quietly
# ignoring it: the publishing fields, the updated time and the "Significant
# update" box that sets it.
EDITOR_ONLY_FIELDS = [*PUBLISHING_FIELDS, "updated_at", "significant_update"]


def may_publish(user) -> bool:
    """Editors (and administrators) publish, schedule and withdraw stories,
    curate the front page and breaking news, and restore earlier versions."""
    return bool(user and user.has_perm(PUBLISH_PERMISSION))


def may_view(user, article: Article) -> bool:
    """Whether a staff member may open the story in the admin and preview
    it: editors any story, writers their own and published ones. The same
    rule as stories_for(), for a story already loaded."""
    if not (user.is_active and user.is_staff):
        return False
    return (
        may_publish(user)
        or article.created_by_id == user.pk
        or article.status == Article.Status.PUBLISHED
    )


def stories_for(user, stories: QuerySet) -> QuerySet:
    """The stories among `stories` that may_view() lets the user open, as
    one query; none at all for readers."""
    if not (user.is_active and user.is_staff):
        return stories.none()
    if may_publish(user):
        return stories
    return stories.filter(Q(created_by=user.pk) | Q(status=Article.Status.PUBLISHED))


def may_edit(user, article: Article) -> bool:
    """Editors change any story; writers only their own drafts and stories
    in review."""
    return may_publish(user) or (
        article.created_by_id == user.pk and article.status in WRITER_STATUSES
    )
