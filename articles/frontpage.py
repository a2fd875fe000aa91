"""The front page: which stories go in which of its places, each story shown
once (the breaking bar aside), an editor's pinned stories first.

The queries are in querysets.py (front_page_candidates(), recent_places());
how each place's cards look is in templates/articles/includes/article_card.html.
"""

from django.conf import settings

from . import cards
from .models import Article
from .querysets import front_page_candidates, recent_places

# How many stories each place shows.
BREAKING = 5
TOP_STORIES = 4
LATEST = 10
VIDEOS = 4
SECTION_BLOCK = 4
REGION_BLOCK = 3
# The section blocks and the region strip choose from this many of the newest
# stories not shown above them.
RECENT_POOL = 400
# How far down its own newest stories a region looks for ones that no block
# and no other region has taken.
REGION_LOOKAHEAD = 6


def front_page_stories(
    sections: list, regions: list, language: str = settings.LANGUAGE_CODE
) -> dict:
    """The stories of each place of the front page, in 3 queries: one for
    the breaking bar, lead, top stories, latest list and video strip (see
    top_of_page()), two for a block of each of `sections` and the strip of
    `regions` (see blocks()), all in `language`. Stories are for_cards()
    rows, for attach_cards()."""
    places = top_of_page(language)
    above = [places["lead"], *places["top_stories"], *places["latest"]]
    shown = {story.pk for story in above + places["video_stories"] if story}
    return places | blocks(sections, regions, shown, language)


def top_of_page(language: str = settings.LANGUAGE_CODE) -> dict:
    """The breaking bar, the lead, the top stories, the latest list and the
    video strip, from one query. The story pinned at rank 1 leads, the other
    pinned stories are the first top stories (by rank); the newest stories
    fill the rest, and videos not shown above make the strip."""
    newest_count = TOP_STORIES + LATEST + 1
    found = front_page_candidates(
        language=language,
        breaking=BREAKING,
        pinned=TOP_STORIES + 1,
        # Room for the pinned stories among the newest, and for the newest
        # among the videos.
        newest=newest_count + TOP_STORIES + 1,
        videos=VIDEOS + newest_count,
    )
    pinned = found["pinned"]
    pinned_ids = {story.pk for story in pinned}
    newest = [story for story in found["newest"] if story.pk not in pinned_ids]
    pinned_lead = [story for story in pinned if story.front_page_rank == 1]
    lead = pinned_lead[0] if pinned_lead else (newest.pop(0) if newest else None)
    top_candidates = [story for story in pinned if story is not lead] + newest
    top = top_candidates[:TOP_STORIES]
    latest = [story for story in newest if story not in top][:LATEST]
    shown = {story.pk for story in [lead, *top, *latest] if story}
    video = [story for story in found["videos"] if story.pk not in shown][:VIDEOS]
    return {
        "breaking": found["breaking"],
        "lead": lead,
        "top_stories": top,
        "latest": latest,
        "video_stories": video,
    }


def blocks(sections: list, regions: list, shown: set[int], language: str) -> dict:
    """A block of each of `sections` and the strip of `regions`, drawn from
    the newest stories not yet `shown`: one query lists where those are
    filed, the blocks are picked from it here, and one more loads the
    picked stories. A section with nothing that recent has no block; every
    region is in the strip, with no stories if need be."""
    shown = set(shown)
    in_section = {section.pk: [] for section in sections}
    in_region = {region.pk: [] for region in regions}
    for pk, section_id, region_id in recent_places(language, shown, RECENT_POOL):
        # A story in three regions comes three times, one after the other.
        picks = in_section.get(section_id)
        if picks is not None and len(picks) < SECTION_BLOCK and pk not in picks:
            picks.append(pk)
        if region_id in in_region:
            in_region[region_id].append(pk)
    shown.update(pk for picks in in_section.values() for pk in picks)

    # Round by round, each region takes its newest story not yet shown; a
    # story in several regions is shown once, where it is newest.
    candidates = {
        region_id: [pk for pk in ids if pk not in shown][:REGION_LOOKAHEAD]
        for region_id, ids in sorted(in_region.items())
    }
    in_strip = {region_id: [] for region_id in in_region}
    for place in range(REGION_LOOKAHEAD):
        for region_id, ids in candidates.items():
            picks = in_strip[region_id]
            if (
                place < len(ids)
                and ids[place] not in shown
                and len(picks) < REGION_BLOCK
            ):
                picks.append(ids[place])
                shown.add(ids[place])

    picked = (
        Article.objects.published()
        .for_cards()
        .in_bulk(
            [pk for picks in [*in_section.values(), *in_strip.values()] for pk in picks]
        )
    )
    section_blocks = [
        (section, [picked[pk] for pk in in_section[section.pk] if pk in picked])
        for section in sections
    ]
    return {
        "section_blocks": [block for block in section_blocks if block[1]],
        "region_blocks": [
            (region, [picked[pk] for pk in in_strip[region.pk] if pk in picked])
            for region in regions
        ],
    }


def attach_cards(places: dict) -> None:
    """Give each story shown as a card its card, as `story.card`: each place
    has cards of its own look (see cards.attach())."""
    lead = places["lead"]
    groups = [
        ([lead] if lead else [], "lead"),
        (places["top_stories"], "top_stories"),
        (places["video_stories"], "video_stories"),
    ]
    groups += [(stories, "section_block") for _, stories in places["section_blocks"]]
    cards.attach(groups)
