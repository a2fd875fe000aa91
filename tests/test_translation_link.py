"""A story and its translation point at each other: linking one links the
other, and linking a third story unlinks the old pair, so a reader is never
sent from a story to a translation that points elsewhere. Front-page ranks
belong to each language's front page."""

import pytest
from django.core.exceptions import ValidationError

from articles.models import Article

from .factories import make_article


def reloaded(*stories: Article) -> list[int | None]:
    return [Article.objects.get(pk=s.pk).translation_id for s in stories]


@pytest.mark.django_db
def test_linking_a_story_links_its_translation_back():
    english = make_article(headline="Floods in Sindh")
    urdu = make_article(headline="سندھ میں سیلاب", language="ur")
    assert reloaded(english, urdu) == [None, None]

    urdu.translation = english
    urdu.save()

    assert reloaded(english, urdu) == [urdu.pk, english.pk]


@pytest.mark.django_db
def test_a_new_translation_unlinks_the_old_one_on_both_sides():
    english = make_article()
    old = make_article(language="ur")
    new = make_article(language="ur")
    old.translation = english
    old.save()

    new.translation = english
    new.save()

    assert reloaded(english, old, new) == [new.pk, None, english.pk]


@pytest.mark.django_db
def test_removing_the_link_removes_it_on_both_sides():
    english = make_article()
    urdu = make_article(language="ur", translation=english)
    assert reloaded(english) == [urdu.pk]

    urdu.translation = None
    urdu.save()

    assert reloaded(english, urdu) == [None, None]


@pytest.mark.django_db
def test_a_translation_is_in_the_other_language():
    english = make_article(headline="Floods in Sindh")
    other = make_article(headline="Floods in Punjab")
    other.translation = english
    with pytest.raises(ValidationError) as refused:
        other.full_clean()
    assert "both in English" in str(refused.value)

    other.language = "ur"
    other.full_clean()


@pytest.mark.django_db
def test_each_language_has_its_own_lead_story():
    english = make_article(front_page_rank=1)
    urdu = make_article(language="ur", front_page_rank=1)
    second = make_article(language="ur")
    # Taking rank 1 on the Urdu front page leaves the English lead alone.
    second.front_page_rank = 1
    second.take_front_page_rank()
    second.save()
    ranks = [Article.objects.get(pk=s.pk).front_page_rank for s in (english, urdu)]
    assert ranks == [1, None]
    assert Article.objects.get(pk=second.pk).front_page_rank == 1
