"""Purge a live story's page (and its updates fragment, which carries the
same key) when an update or the coverage changes, like any story change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from articles import purge
from articles.models import Article

from .models import LiveCoverage, LiveUpdate


@receiver(post_save, sender=LiveUpdate)
@receiver(post_delete, sender=LiveUpdate)
@receiver(post_save, sender=LiveCoverage)
@receiver(post_delete, sender=LiveCoverage)
def live_changed(sender, instance, using: str, raw=False, **kwargs) -> None:
    """An update shows on its story's page, the fragment readers poll and
    the story's feed items; the coverage also on every card of the story
    ("Live"). All of them carry the story's key. One query."""
    if raw:
        return
    stories = Article._base_manager.using(using).filter(pk=instance.article_id)
    if stories.filter(status=Article.Status.PUBLISHED).exists():
        purge.record({f"s{instance.article_id}"}, using)
