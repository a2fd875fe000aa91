"""Story cards, rendered once per revision of what they show.

The front page shows some fifty story cards, a story list twenty (section,
region, tag, author and video pages). A card's HTML depends only on its
story (Article.modified_at changes with every save), its section's name and
address, its picture (Image.modified_at) and the article_card() options the
page shows it with (the card template's `card_places` has those for each
place on a page: the front page's lead, a story list, ...). The key of a
kept card is made of exactly those, so a kept card is never out of date and
nothing has to forget it: an edit makes a new key, and the old card drops
out unused.

After a publish a page's queries run again, as they must, but only the
cards of stories that changed are rendered again. Pages list stories
with `for_cards()`, whose rows carry the key's parts and no more (a
section's name and address come from the navigation, which is read once
until one is saved); the cards this worker has not kept yet are rendered
from one more query.

Each worker keeps its own cards: looking one up costs a dictionary read,
with no cache server, pickling or invalidation involved.
"""

import threading
from collections import OrderedDict
from collections.abc import Iterable

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.utils.translation import get_language
from markupsafe import Markup

CARD_TEMPLATE = "articles/includes/article_card.html"
# A card is a small HTML fragment; the bound keeps the memory each worker
# gives to cards small and fixed.
KEPT_CARDS = 5000


class KeptCards:
    """This worker's most recently used cards, up to KEPT_CARDS."""

    def __init__(self, max_cards: int = KEPT_CARDS) -> None:
        self.max_cards = max_cards
        self._cards: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            card = self._cards.get(key)
            if card is not None:
                self._cards.move_to_end(key)
            return card

    def put(self, key: tuple, card: Markup) -> None:
        with self._lock:
            self._cards[key] = card
            while len(self._cards) > self.max_cards:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()


kept_cards = KeptCards()


# Settings a card's HTML depends on (changed in tests).
CARD_SETTINGS = {"STORAGES", "MEDIA_URL", "TIME_ZONE", "USE_TZ", "TEMPLATES"}


@receiver(setting_changed)
def forget_cards(setting: str, **kwargs) -> None:
    if setting in CARD_SETTINGS:
        kept_cards.clear()


def is_keeping() -> bool:
    """Not in development, where the card template may be edited while the
    server runs, nor with signed media addresses, which expire."""
    signed = settings.STORAGES["default"].get("OPTIONS", {}).get("querystring_auth")
    return not settings.DEBUG and not signed


def card_key(story, options: dict, sections: dict) -> tuple:
    section = sections.get(story.section_id)
    return (
        # The page's language: the section link goes to its page in it.
        get_language(),
        story.pk,
        story.modified_at,
        section and (section.name, section.slug),
        story.lead_image_id,
        story.image_modified_at,
        *sorted(options.items()),
    )


def attach(groups: Iterable[tuple[list, str]]) -> None:
    """Give each story of each (stories, place) group its card as
    `story.card`, with the options the card template's `card_places` gives
    its place and its position there. The stories are `for_cards()` rows;
    the cards not kept yet are rendered from one query for all of them."""
    from .context_processors import navigation
    from .models import Article
    from .pagecache import shows

    keeping = is_keeping()
    template = get_template(CARD_TEMPLATE).template.module
    # The sections as the navigation has them (read once until one is saved).
    sections = {section.pk: section for section in navigation()[0]}
    missing = []
    for stories, place in groups:
        styles = template.card_places[place]
        for position, story in enumerate(stories):
            shows(f"s{story.pk}")
            options = styles[min(position, len(styles) - 1)]
            key = card_key(story, options, sections)
            story.card = kept_cards.get(key) if keeping else None
            if story.card is None:
                missing.append((story, options, key))
    if not missing:
        return
    full = Article.objects.for_listing().in_bulk({story.pk for story, *_ in missing})
    article_card = template.article_card
    for story, options, key in missing:
        if story.pk not in full:
            story.card = Markup()  # Deleted since the page listed it.
            continue
        story.card = Markup(article_card(full[story.pk], **options))
        if keeping:
            kept_cards.put(key, story.card)
