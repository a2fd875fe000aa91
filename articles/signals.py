"""Keep each story's search vector in step with its text, tags and byline,
and the page cache in step with everything pages show."""

from django.db import connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from taggit.models import Tag, TaggedItem

from . import pagecache
from .models import Article, Author, Byline, StoryViews
from .search import refresh_after_commit


@receiver(post_save, sender=Article)
def article_saved(sender, instance: Article, using: str, **kwargs) -> None:
    refresh_after_commit([instance.pk], using)


@receiver(m2m_changed, sender=TaggedItem)
def tags_changed(sender, instance, action: str, using: str, **kwargs) -> None:
    if isinstance(instance, Article) and action.startswith("post_"):
        refresh_after_commit([instance.pk], using)


@receiver(post_save, sender=Byline)
@receiver(post_delete, sender=Byline)
def byline_changed(sender, instance: Byline, using: str, **kwargs) -> None:
    refresh_after_commit([instance.article_id], using)


@receiver(pre_save, sender=Author)
@receiver(pre_save, sender=Tag)
def remember_old_name(sender, instance, using: str, **kwargs) -> None:
    """Note whether the name changes, so only a rename refreshes stories (an
    author may have thousands). Runs one query, on PostgreSQL only."""
    instance._name_changed = False
    if instance.pk is None or connections[using].vendor != "postgresql":
        return
    old = sender._base_manager.using(using).filter(pk=instance.pk).first()
    instance._name_changed = old is not None and old.name != instance.name


@receiver(post_save, sender=Author)
def author_saved(sender, instance: Author, using: str, **kwargs) -> None:
    if getattr(instance, "_name_changed", False):
        stories = Byline.objects.using(using).filter(author=instance)
        refresh_after_commit(stories.values_list("article_id", flat=True), using)


@receiver(post_save, sender=Tag)
def tag_saved(sender, instance: Tag, using: str, **kwargs) -> None:
    if getattr(instance, "_name_changed", False):
        stories = TaggedItem.objects.using(using).filter(
            tag=instance, content_type__app_label="articles"
        )
        refresh_after_commit(stories.values_list("object_id", flat=True), using)


# Saving what pages do not show must not empty the page cache.
NOT_SHOWN = {StoryViews}


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def content_changed(sender, using: str, **kwargs) -> None:
    """Any change to stories, sections, regions, sources, authors, pictures or
    tags replaces the page cache's version: now, for this process, and again
    once the transaction commits, so no server can keep a page rendered from
    the data as it was before."""
    if kwargs.get("action", "post_").startswith("pre_"):
        return
    model = kwargs.get("model") or sender
    if model._meta.app_label not in ("articles", "taggit") or model in NOT_SHOWN:
        return
    pagecache.invalidate()
    transaction.on_commit(pagecache.invalidate, using=using)
