"""Keep each story's search vector in step with its text, tags and byline,
and purge the pages each change alters (see purge.py for the keys)."""

import hashlib

from django.db import connections
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)
from django.dispatch import receiver
from taggit.models import Tag, TaggedItem

from . import purge
from .models import (
    Article,
    ArticleNote,
    Author,
    Byline,
    GalleryImage,
    Image,
    ReadMoreLink,
    Region,
    Section,
    SeeAlsoLink,
    Source,
)
from .search import refresh_after_commit

# What decides which lists a story is in, and where: a change to any of them
# purges the lists it was in and the lists it is in now.
LIST_FIELDS = (
    "status",
    "published_at",
    "section_id",
    "kind",
    "front_page_rank",
    "is_breaking",
    "breaking_until",
)


def story_lists(story: Article, using: str = "default") -> set[str]:
    """The keys of the pages a published story enters or leaves when it
    goes live, is withdrawn or moves: the lists it is in (or will be in,
    once its time comes) and the stories whose "read more" and "See also"
    links to it show only while it is live. 5 queries."""
    keys = {"front", "stories", "sitemap", "search", f"sec{story.section_id}"}
    if story.kind == Article.Kind.VIDEO:
        keys.add("video")
    regions = Region.objects.using(using).filter(stories=story.pk)
    keys.update(f"reg{pk}" for pk in regions.values_list("pk", flat=True))
    tagged = TaggedItem.objects.using(using).filter(
        object_id=story.pk, content_type__app_label="articles"
    )
    keys.update(f"tag{pk}" for pk in tagged.values_list("tag_id", flat=True))
    bylines = Byline.objects.using(using).filter(article=story.pk)
    keys.update(f"au{pk}" for pk in bylines.values_list("author_id", flat=True))
    for links in (ReadMoreLink, SeeAlsoLink):
        linking = links.objects.using(using).filter(target=story.pk)
        keys.update(f"s{pk}" for pk in linking.values_list("article_id", flat=True))
    return keys


def is_published(story) -> bool:
    """Live or scheduled: in lists now, or once its time comes."""
    return story is not None and story.status == Article.Status.PUBLISHED


# Stories.


@receiver(pre_save, sender=Article)
def remember_story_before(sender, instance: Article, using: str, **kwargs) -> None:
    instance._before = None
    if instance.pk is not None:
        instance._before = (
            Article._base_manager.using(using)
            .filter(pk=instance.pk)
            .only(*LIST_FIELDS)
            .first()
        )


@receiver(post_save, sender=Article)
def story_saved(sender, instance: Article, using: str, raw=False, **kwargs) -> None:
    refresh_after_commit([instance.pk], using)
    if raw:
        return
    before = getattr(instance, "_before", None)
    if not (is_published(before) or is_published(instance)):
        return  # A draft's edit shows nowhere.
    # Its page, and every page showing its card, headline or link; the
    # sitemaps show when it changed; search results may match it or not.
    keys = {f"s{instance.pk}", "sitemap", "search"}
    moved = before is None or any(
        getattr(before, field) != getattr(instance, field) for field in LIST_FIELDS
    )
    if moved:
        keys |= story_lists(instance, using) | {"schedule"}
        if before is not None:
            keys.add(f"sec{before.section_id}")
            if before.kind == Article.Kind.VIDEO:
                keys.add("video")
    purge.record(keys, using)


@receiver(pre_delete, sender=Article)
def story_deleted(sender, instance: Article, using: str, **kwargs) -> None:
    if is_published(instance):
        keys = story_lists(instance, using) | {f"s{instance.pk}", "schedule"}
        purge.record(keys, using)


@receiver(m2m_changed, sender=Article.regions.through)
@receiver(m2m_changed, sender=TaggedItem)
def labels_changed(sender, instance, action: str, using: str, **kwargs) -> None:
    """Regions or tags added to or taken from a story (or stories added to
    or taken from a region): the story's page and the lists it enters or
    leaves."""
    if isinstance(instance, Article) and action.startswith("post_"):
        refresh_after_commit([instance.pk], using)
    if action == "pre_clear":
        # Which ones are cleared is known only before.
        instance._cleared = set(related_ids(sender, instance, using))
        return
    if not action.startswith("post_"):
        return
    changed = kwargs.get("pk_set") or getattr(instance, "_cleared", set())
    if isinstance(instance, Article):
        if not is_published(instance) or not changed:
            return
        prefix = "reg" if kwargs["model"] is Region else "tag"
        keys = {f"{prefix}{pk}" for pk in changed} | {f"s{instance.pk}"}
    else:
        prefix = "reg" if isinstance(instance, Region) else "tag"
        keys = {f"s{pk}" for pk in changed} | {f"{prefix}{instance.pk}"}
    if prefix == "reg":
        keys.add("front")  # Its strip of regions' stories.
    purge.record(keys, using)


def related_ids(sender, instance, using: str) -> list[int]:
    if isinstance(instance, Article):
        if sender is TaggedItem:
            rows = TaggedItem.objects.using(using).filter(object_id=instance.pk)
            return list(rows.values_list("tag_id", flat=True))
        return list(instance.regions.values_list("pk", flat=True))
    return list(instance.stories.values_list("pk", flat=True))


@receiver(post_save, sender=Byline)
@receiver(post_delete, sender=Byline)
def byline_changed(sender, instance: Byline, using: str, **kwargs) -> None:
    refresh_after_commit([instance.article_id], using)
    story = Article._base_manager.using(using).filter(pk=instance.article_id)
    if story.filter(status=Article.Status.PUBLISHED).exists():
        purge.record({f"s{instance.article_id}", f"au{instance.author_id}"}, using)


@receiver(post_save, sender=ReadMoreLink)
@receiver(post_delete, sender=ReadMoreLink)
@receiver(post_save, sender=SeeAlsoLink)
@receiver(post_delete, sender=SeeAlsoLink)
@receiver(post_save, sender=GalleryImage)
@receiver(post_delete, sender=GalleryImage)
@receiver(post_save, sender=ArticleNote)
@receiver(post_delete, sender=ArticleNote)
def story_part_changed(sender, instance, using: str, raw=False, **kwargs) -> None:
    """Links, gallery pictures and corrections show on the story's page only."""
    if not raw:
        purge.record({f"s{instance.article_id}"}, using)


# What stories show: sections and regions (in every page's navigation),
# authors, tags, sources and pictures.


@receiver(post_save, sender=Section)
@receiver(post_delete, sender=Section)
def section_changed(sender, instance: Section, using: str, raw=False, **kwargs):
    if not raw:
        purge.record({"nav", f"sec{instance.pk}"}, using)


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
def region_changed(sender, instance: Region, using: str, raw=False, **kwargs):
    if not raw:
        purge.record({"nav", f"reg{instance.pk}"}, using)


@receiver(post_save, sender=Source)
@receiver(post_delete, sender=Source)
def source_changed(sender, instance: Source, using: str, raw=False, **kwargs):
    if not raw:
        purge.record({f"src{instance.pk}"}, using)


@receiver(pre_save, sender=Tag)
def tag_needs_a_slug(sender, instance: Tag, **kwargs) -> None:
    """A name without letters or digits ("!!!") slugifies to nothing, and a
    tag needs an address: one made from the name."""
    if not instance.slug:
        digest = hashlib.sha1(instance.name.encode(), usedforsecurity=False)
        instance.slug = f"tag-{digest.hexdigest()[:10]}"


@receiver(pre_save, sender=Author)
@receiver(pre_save, sender=Tag)
def remember_old_name(sender, instance, using: str, **kwargs) -> None:
    """Note whether the name changes, so only a rename refreshes stories' search
    vectors (an author may have thousands). Runs one query, on PostgreSQL only."""
    instance._name_changed = False
    if instance.pk is None or connections[using].vendor != "postgresql":
        return
    old = sender._base_manager.using(using).filter(pk=instance.pk).first()
    instance._name_changed = old is not None and old.name != instance.name


@receiver(post_save, sender=Author)
@receiver(post_delete, sender=Author)
def author_changed(sender, instance: Author, using: str, raw=False, **kwargs):
    if getattr(instance, "_name_changed", False):
        stories = Byline.objects.using(using).filter(author=instance)
        refresh_after_commit(stories.values_list("article_id", flat=True), using)
    if not raw:
        purge.record(
            {f"a{instance.pk}", f"au{instance.pk}", "sitemap", "search"}, using
        )


@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
def tag_changed(sender, instance: Tag, using: str, raw=False, **kwargs) -> None:
    if getattr(instance, "_name_changed", False):
        stories = TaggedItem.objects.using(using).filter(
            tag=instance, content_type__app_label="articles"
        )
        refresh_after_commit(stories.values_list("object_id", flat=True), using)
    if not raw:
        purge.record(
            {f"t{instance.pk}", f"tag{instance.pk}", "sitemap", "search"}, using
        )


@receiver(post_save, sender=Image)
def image_changed(sender, instance: Image, using: str, raw=False, **kwargs) -> None:
    """A picture's crop, focal point, text or credit: the stories showing it
    (cards and pages) and the authors it portrays."""
    if raw or kwargs.get("created"):
        return
    lead = Article._base_manager.using(using).filter(lead_image=instance)
    gallery = GalleryImage.objects.using(using).filter(image=instance)
    authors = Author.objects.using(using).filter(photo=instance)
    keys = {f"s{pk}" for pk in lead.values_list("pk", flat=True)}
    keys.update(f"s{pk}" for pk in gallery.values_list("article_id", flat=True))
    keys.update(f"au{pk}" for pk in authors.values_list("pk", flat=True))
    purge.record(keys, using)
