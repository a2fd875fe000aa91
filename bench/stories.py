"""Generate many plausible stories quickly, for benchmarks (e.g. 100,000).

Loads the demo content first (taxonomy, authors, pictures), then bulk-inserts
generated stories with bylines, regions and tags. Generated stories have slugs
starting with "generated-"; running it again only adds the missing ones, so
`--count` is the total wanted: `python -m bench.stories --count 100000`.
"""

import argparse
import random
from datetime import timedelta

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from articles import purge
from articles.models import Article, Author, Byline, Image, Region, Section, Source
from articles.search import update_search_vectors

SLUG_PREFIX = "generated-"
SUBJECTS = [
    "Cabinet", "Senate", "Central bank", "Karachi traders", "Lahore court",
    "Church leaders", "Cricket board", "Health ministry", "Farmers", "Exporters",
    "Students", "Climate envoys", "Peshawar police", "Rail workers", "Teachers",
    "Hockey team", "Film festival", "Diplomats", "Energy regulator", "Aid agencies",
]  # fmt: skip
VERBS = [
    "approves", "rejects", "debates", "welcomes", "delays", "announces",
    "questions", "backs", "reviews", "expands", "cuts", "celebrates",
]  # fmt: skip
OBJECTS = [
    "new budget plan", "fuel price rise", "school reform", "trade agreement",
    "flood relief package", "minority rights bill", "stadium upgrade",
    "vaccination drive", "interest rate decision", "election timetable",
    "water sharing deal", "digital payments rule", "heritage restoration",
    "Christmas concert series", "tax amnesty", "rail link to Quetta",
]  # fmt: skip
PLACES = [
    "Islamabad", "Karachi", "Lahore", "Quetta", "Peshawar", "Faisalabad",
    "Multan", "Sialkot", "Washington", "Brussels", "Nairobi", "Cairo",
    "Jakarta", "Sydney", "Toronto", "Dubai", "London", "Geneva",
]  # fmt: skip
WORDS = (
    "government official said statement market prices week talks agreement "
    "community church leaders minister report economy growth security court "
    "ruling players season match festival audience water energy schools "
    "hospital vaccine farmers harvest exports rupee investors budget tax "
    "reform election parliament opposition spokesman analysts region border "
    "peace aid relief flood weather climate province city villagers families"
).split()
TAG_COUNT = 400


def sentence(rng: random.Random, length: int) -> str:
    words = rng.choices(WORDS, k=length)
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    sentences = [sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 4))]
    return f"<p>{place}: {' '.join(sentences)}</p>"


def generate(
    count: int = 100_000, batch: int = 2_000, seed: int = 2026, verbose: bool = True
) -> None:
    """Make sure there are `count` generated stories (adding the missing ones)."""
    say = print if verbose else lambda *args: None
    call_command("load_demo", verbosity=0)
    existing = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if existing >= count:
        say(f"{existing} generated stories already there.")
        return

    rng = random.Random(seed + existing)
    sections = list(Section.objects.all())
    regions = list(Region.objects.all())
    sources = list(Source.objects.all())
    authors = list(Author.objects.all())
    images = list(Image.objects.filter(width__gt=1000))
    tags = [
        Tag.objects.get_or_create(name=f"topic {n}", slug=f"topic-{n}")[0]
        for n in range(TAG_COUNT)
    ]
    now = timezone.now()
    for start in range(existing, count, batch):
        with transaction.atomic():
            insert_batch(
                rng,
                range(start, min(start + batch, count)),
                now,
                sections,
                regions,
                sources,
                authors,
                images,
                tags,
            )
        say(f"  {min(start + batch, count)} / {count}")
    if connection.vendor == "postgresql":
        # Fresh statistics, so the planner knows the tables are big now.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # bulk_create sends no signals: let every server render pages afresh.
    purge.record(["site"])
    say(f"Generated {count - existing} stories ({count} in all).")


def insert_batch(
    rng, numbers, now, sections, regions, sources, authors, images, tags
) -> None:
    articles = []
    for n in numbers:
        headline = (
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} "
            f"{rng.choice(OBJECTS)} in {rng.choice(PLACES)}"
        )
        published_at = now - timedelta(minutes=10 + n * 7 + rng.randint(0, 6))
        kind = rng.choices(["story", "video", "gallery"], weights=[90, 6, 4])[0]
        articles.append(
            Article(
                headline=headline,
                slug=f"{SLUG_PREFIX}{n}",
                standfirst=sentence(rng, 20),
                body="".join(paragraph(rng) for _ in range(rng.randint(4, 9))),
                kind=kind,
                video_url="https://www.youtube.com/watch?v=PCTVdemo001"
                if kind == "video"
                else "",
                status=Article.Status.PUBLISHED
                if rng.random() > 0.02
                else Article.Status.DRAFT,
                section=rng.choice(sections),
                source=rng.choice(sources),
                lead_image=rng.choice(images),
                published_at=published_at,
            )
        )
    # bulk_create skips save(), so the bodies above are built clean.
    Article.objects.bulk_create(articles)
    Byline.objects.bulk_create(
        Byline(article=article, author=author, position=position)
        for article in articles
        for position, author in enumerate(rng.sample(authors, rng.choice([1, 1, 1, 2])))
    )
    through = Article.regions.through
    through.objects.bulk_create(
        through(article=article, region=region)
        for article in articles
        for region in rng.sample(regions, rng.choice([1, 1, 2]))
    )
    TaggedItem.objects.bulk_create(
        TaggedItem(content_object=article, tag=tag)
        for article in articles
        for tag in rng.sample(tags, rng.randint(1, 4))
    )
    # bulk_create sends no signals: index the batch for search here.
    update_search_vectors(article.pk for article in articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="total wanted")
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    generate(**vars(parser.parse_args()))


if __name__ == "__main__":
    main()
