"""Load demo content: taxonomy, authors, generated pictures and about 40 stories.

Running it again refreshes the same rows (keyed on slugs, names and alt
texts) and never draws a picture twice, so it is safe in `make run`.
"""

import random
from datetime import datetime, timedelta
from io import BytesIO
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from PIL import ImageColor, ImageDraw, ImageFont

from articles import purge
from articles.models import (
    Article,
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

# (name, slug, description), in navigation order.
SECTIONS = [
    ("World", "world", "International news and diplomacy from every region."),
    (
        "Pakistan",
        "pakistan",
        "News from across Pakistan and its Christian communities.",
    ),
    ("Business", "business", "Markets, trade and the economy in Pakistan and abroad."),
    ("Sports", "sports", "Cricket, hockey, football and more, at home and abroad."),
    ("Culture", "culture", "Music, faith, books, film and the arts."),
]

# (name, slug), in navigation order.
REGIONS = [
    ("US", "us"),
    ("Europe", "europe"),
    ("Asia Pacific", "asia-pacific"),
    ("Africa", "africa"),
    ("Middle East", "middle-east"),
    ("Americas", "americas"),
]

# (name, website)
SOURCES = [
    ("Reuters", "https://www.reuters.com/"),
    ("AFP", "https://www.afp.com/"),
    ("AP", "https://apnews.com/"),
    ("agencies", ""),
    ("Pakistan Christian TV staff", ""),
]
AGENCIES = "agencies"
STAFF = "Pakistan Christian TV staff"

DEMO_CREDIT = "Pakistan Christian TV demo image"
DEMO_NOTE = "<p><em>This is demo content for the Pakistan Christian TV site.</em></p>"

PICTURE_SIZE = (1280, 720)
PORTRAIT_SIZE = (720, 720)


class Picture(NamedTuple):
    label: str
    alt: str  # Also the key that finds the picture again on the next run.
    caption: str
    colours: tuple[str, str]
    credit: str = DEMO_CREDIT
    size: tuple[int, int] = PICTURE_SIZE


PICTURES = {
    # The sample story and the stories it links to.
    "white-house": Picture(
        "White House",
        "Demo picture standing in for a photo of the White House in Washington, "
        "its white columns seen from the lawn",
        "White House.",
        ("#1d3557", "#a8dadc"),
        credit="Reuters / Jim Borg",
    ),
    "kremlin": Picture(
        "Kremlin",
        "Demo picture standing in for a photo of the red walls and towers of the "
        "Kremlin in Moscow",
        "The Kremlin in Moscow.",
        ("#6a040f", "#f48c06"),
    ),
    "iss-launch": Picture(
        "Launch day",
        "Demo picture standing in for a photo of a Soyuz rocket lifting off at dawn",
        "The crew's rocket lifts off for the International Space Station.",
        ("#03045e", "#ff9e00"),
    ),
    "iss-crew": Picture(
        "Crew",
        "Demo picture standing in for a photo of astronauts floating inside the "
        "space station",
        "The Emirati astronaut with crew mates aboard the station.",
        ("#240046", "#7b2cbf"),
    ),
    "iss-window": Picture(
        "Earth view",
        "Demo picture standing in for a photo of the Earth seen through a station "
        "window",
        "The Arabian Peninsula seen from the station's observation window.",
        ("#023e8a", "#48cae4"),
    ),
    "iss-landing": Picture(
        "Landing",
        "Demo picture standing in for a photo of a space capsule under its "
        "parachute over the steppe",
        "The capsule returns to Earth under its main parachute.",
        ("#582f0e", "#e9c46a"),
    ),
    # Other galleries.
    "lights-cathedral": Picture(
        "Cathedral lights",
        "Demo picture standing in for a photo of a cathedral front lit with "
        "strings of Christmas lights",
        "The cathedral front lit up for Christmas.",
        ("#14213d", "#fca311"),
    ),
    "lights-street": Picture(
        "Mall Road",
        "Demo picture standing in for a photo of a busy street hung with "
        "Christmas lights at night",
        "Families walk under the lights on Mall Road.",
        ("#10002b", "#e0aaff"),
    ),
    "lights-choir": Picture(
        "Carol singers",
        "Demo picture standing in for a photo of carol singers holding candles "
        "outside a church",
        "Carol singers gather on the cathedral steps.",
        ("#370617", "#ffba08"),
    ),
    "truck-painter": Picture(
        "Truck painter",
        "Demo picture standing in for a photo of a painter brushing flowers onto "
        "the side of a truck",
        "A painter at work in a Karachi truck yard.",
        ("#2b9348", "#eeef20"),
    ),
    "truck-peacock": Picture(
        "Peacock panel",
        "Demo picture standing in for a photo of a brightly painted peacock on a "
        "truck's tailgate",
        "A peacock, one of the most requested motifs.",
        ("#005f73", "#ee9b00"),
    ),
    "truck-convoy": Picture(
        "On the road",
        "Demo picture standing in for a photo of decorated trucks on a highway at "
        "sunset",
        "Decorated trucks on the highway north of Karachi.",
        ("#9d0208", "#ffd60a"),
    ),
    # Author portraits.
    "portrait-sara": Picture(
        "Sara Masih",
        "Demo portrait placeholder for the author Sara Masih",
        "Sara Masih.",
        ("#3a0ca3", "#4cc9f0"),
        size=PORTRAIT_SIZE,
    ),
    "portrait-daniel": Picture(
        "Daniel Gill",
        "Demo portrait placeholder for the author Daniel Gill",
        "Daniel Gill.",
        ("#264653", "#2a9d8f"),
        size=PORTRAIT_SIZE,
    ),
    # Pictures shared by stories on the same topic.
    "summit": Picture(
        "Summit talks",
        "Demo picture standing in for a photo of delegates around a conference "
        "table lined with flags",
        "Delegates at the talks.",
        ("#22223b", "#9a8c98"),
    ),
    "capitol": Picture(
        "Capitol Hill",
        "Demo picture standing in for a photo of the US Capitol dome in Washington",
        "The US Capitol in Washington.",
        ("#003049", "#fcbf49"),
    ),
    "aid": Picture(
        "Aid convoy",
        "Demo picture standing in for a photo of aid lorries queueing on a desert road",
        "Aid lorries wait to cross.",
        ("#7f5539", "#ede0d4"),
    ),
    "earthquake": Picture(
        "Earthquake",
        "Demo picture standing in for a photo of rescuers searching a damaged building",
        "Rescuers search a damaged building.",
        ("#343a40", "#e76f51"),
    ),
    "church": Picture(
        "Church",
        "Demo picture standing in for a photo of worshippers outside a brick "
        "church in Punjab",
        "Worshippers outside a church in Punjab.",
        ("#5f0f40", "#fb8b24"),
    ),
    "health": Picture(
        "Public health",
        "Demo picture standing in for a photo of a health worker with a child in "
        "a hazy street",
        "A health worker on her rounds.",
        ("#495057", "#ced4da"),
    ),
    "parliament": Picture(
        "Parliament",
        "Demo picture standing in for a photo of Parliament House in Islamabad",
        "Parliament House in Islamabad.",
        ("#1b4332", "#95d5b2"),
    ),
    "markets": Picture(
        "Markets",
        "Demo picture standing in for a photo of traders watching share prices on "
        "a screen",
        "Traders watch share prices.",
        ("#0b090a", "#38b000"),
    ),
    "energy": Picture(
        "Energy",
        "Demo picture standing in for a photo of an oil refinery and power lines "
        "at dusk",
        "A refinery at dusk.",
        ("#3c096c", "#ff6d00"),
    ),
    "industry": Picture(
        "Industry",
        "Demo picture standing in for a photo of workers at sewing machines in a "
        "factory",
        "Workers at a factory.",
        ("#283618", "#dda15e"),
    ),
    "cricket": Picture(
        "Cricket",
        "Demo picture standing in for a photo of a batter playing a shot under "
        "floodlights",
        "A batter plays a shot under the floodlights.",
        ("#004b23", "#70e000"),
    ),
    "sport": Picture(
        "Sport",
        "Demo picture standing in for a photo of players celebrating in a packed "
        "stadium",
        "Players celebrate a goal.",
        ("#03071e", "#dc2f02"),
    ),
    "music": Picture(
        "Music",
        "Demo picture standing in for a photo of a church choir singing with a "
        "harmonium",
        "A choir sings with a harmonium.",
        ("#3d0066", "#f72585"),
    ),
    "arts": Picture(
        "Arts",
        "Demo picture standing in for a photo of visitors looking at paintings in "
        "a gallery",
        "Visitors at an exhibition.",
        ("#6f1d1b", "#bb9457"),
    ),
}

# (name, slug, bio, picture key or None)
AUTHORS = [
    (
        "PCTV World Desk",
        "pctv-world-desk",
        "The Pakistan Christian TV world news desk (demo author).",
        None,
    ),
    (
        "Sara Masih",
        "sara-masih",
        "Sara Masih covers business and the economy from Karachi (demo author).",
        "portrait-sara",
    ),
    (
        "Daniel Gill",
        "daniel-gill",
        "Daniel Gill reports on cricket, hockey and football (demo author).",
        "portrait-daniel",
    ),
    (
        "Maryam Bhatti",
        "maryam-bhatti",
        "Maryam Bhatti writes about faith, music and the arts (demo author).",
        None,
    ),
    (
        "Samuel John",
        "samuel-john",
        "Samuel John is our Pakistan correspondent in Lahore (demo author).",
        None,
    ),
]
WORLD_DESK = "pctv-world-desk"
SARA = "sara-masih"
DANIEL = "daniel-gill"
MARYAM = "maryam-bhatti"
SAMUEL = "samuel-john"

# The sample front-page story, word for word.
SAMPLE_SLUG = "biden-administration-ready-to-discuss-russian-security-proposals"
SAMPLE_HEADLINE = (
    "Biden administration: We are ready to discuss Russian security proposals in "
    "January, and there are conditions that we will never agree to meet"
)
SAMPLE_PARAGRAPHS = [
    "The administration of US President Joe Biden announced that it was ready to "
    "hold discussions with Russia about its security proposals in January, but "
    "stressed that there were conditions that the United States would “never” "
    "agree to meet.",
    "A senior official in the US President’s administration said during a press "
    "conference held today, Thursday, “The United States is ready to engage in a "
    "diplomatic discussion in early January through several channels… We assured "
    "Russia that substantive progress can only be achieved in an atmosphere of "
    "de-escalation.”",
    "The spokesman added, however, that no date or place has yet been set for "
    "these talks, stressing that the Biden administration intends to respond to "
    "the Russian proposals during these discussions and not in the public sphere.",
    "The official stressed that there are proposals by Russia that “the United "
    "States will never agree to”, but that there are other areas “that can be "
    "explored.”",
    "On December 17, Russia published draft agreements with the United States and "
    "NATO member states that include provisions on mutual security guarantees in "
    "Europe, including the non-deployment of medium and short-range missiles in "
    "areas of access to each other and the alliance’s abandonment of its further "
    "expansion.",
    "Russian Deputy Foreign Minister Sergei Ryabkov stressed that the failure of "
    "NATO and the United States to respond to Russia’s demands for security "
    "guarantees could lead to a new round of confrontation.",
]
PUTIN_SLUG = "putin-west-brought-its-missiles-to-our-doorstep"
PUTIN_HEADLINE = (
    "Putin: The West brought its missiles to our doorstep, and it must provide us "
    "with security guarantees here and immediately!"
)
GALLERY_SLUG = "emirati-astronaut-hazza-al-mansouri-photos"
GALLERY_HEADLINE = (
    "Emirati astronaut Hazza Al Mansouri: She carried the Israeli flag to the "
    "International Space Station (photos)"
)

# Published stories, newest first. Optional keys: kind, video_url, gallery
# (picture keys), breaking, rank (front-page pin), updated (hours after
# publication), read_more ([(slug, after paragraph)]) and see_also (slugs, or
# (url, title) pairs for pages elsewhere).
STORIES = [
    {
        "slug": SAMPLE_SLUG,
        "headline": SAMPLE_HEADLINE,
        "standfirst": "Washington says it will hold talks with Moscow on security "
        "in early January, but some Russian demands will never be met.",
        "body": SAMPLE_PARAGRAPHS,
        "section": "world",
        "regions": ["us", "europe"],
        "source": AGENCIES,
        "authors": [WORLD_DESK],
        "tags": ["diplomacy", "russia", "united states", "nato", "security"],
        "picture": "white-house",
        "rank": 1,
        "read_more": [(PUTIN_SLUG, 1)],
        "see_also": [GALLERY_SLUG],
    },
    {
        "slug": "earthquake-shakes-eastern-indonesia",
        "headline": "Strong earthquake shakes eastern Indonesia; no tsunami warning",
        "standfirst": "A magnitude 6.1 earthquake struck off the Maluku islands, "
        "damaging homes but causing no tsunami, officials said.",
        "body": [
            "A strong earthquake shook eastern Indonesia early on Friday, damaging "
            "homes and a school, the country's disaster agency said.",
            "The meteorology agency said there was no threat of a tsunami. Rescue "
            "teams were checking remote villages on the coast.",
        ],
        "section": "world",
        "regions": ["asia-pacific"],
        "source": "Reuters",
        "authors": [WORLD_DESK],
        "tags": ["earthquake", "indonesia"],
        "picture": "earthquake",
        "breaking": True,
    },
    {
        "slug": "smog-closes-lahore-schools-for-a-week",
        "headline": "Smog closes schools in Lahore for a week",
        "standfirst": "Punjab's government ordered schools in Lahore to close as "
        "air quality reached hazardous levels.",
        "body": [
            "Schools in Lahore will stay closed for a week after the city's air "
            "quality index passed hazardous levels for a third day running.",
            "Church-run schools said they would send homework home with pupils. "
            "Doctors urged older people and children to stay indoors.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SAMUEL],
        "tags": ["lahore", "health", "education", "climate"],
        "picture": "health",
        "breaking": True,
        "updated": 1,
    },
    {
        "slug": "ceasefire-talks-resume-in-cairo",
        "headline": "Ceasefire talks resume in Cairo as aid convoys wait at border",
        "standfirst": "Negotiators returned to Cairo for a new round of talks "
        "while hundreds of aid lorries waited to cross.",
        "body": [
            "Mediators reopened ceasefire talks in Cairo on Thursday, diplomats "
            "said, as aid agencies warned that supplies were running short.",
            "Hundreds of lorries carrying food and medicine were queueing at the "
            "border crossing, according to the United Nations.",
            "Church charities in the region appealed for the convoys to be let "
            "through before winter.",
        ],
        "section": "world",
        "regions": ["middle-east", "africa"],
        "source": "AFP",
        "authors": [WORLD_DESK],
        "tags": ["diplomacy", "humanitarian aid", "egypt"],
        "picture": "aid",
        "rank": 2,
        "updated": 3,
    },
    {
        "slug": "state-bank-holds-policy-rate",
        "headline": "State Bank of Pakistan holds policy rate, citing easing inflation",
        "standfirst": "The central bank left its key rate unchanged and said "
        "inflation was falling faster than expected.",
        "body": [
            "The State Bank of Pakistan kept its policy rate unchanged on Monday, "
            "saying inflation was easing but risks from energy prices remained.",
            "Business groups in Karachi and Lahore had hoped for a cut to lower "
            "borrowing costs for exporters.",
        ],
        "section": "business",
        "regions": ["asia-pacific"],
        "source": "Reuters",
        "authors": [SARA],
        "tags": ["economy", "inflation", "interest rates"],
        "picture": "markets",
        "rank": 3,
    },
    {
        "slug": "pakistan-beat-new-zealand-to-level-t20-series",
        "headline": "Pakistan beat New Zealand by six wickets to level T20 series",
        "standfirst": "A late flurry of boundaries in Rawalpindi levelled the "
        "five-match series at 2-2.",
        "body": [
            "Pakistan chased down 168 with four balls to spare in Rawalpindi to "
            "level the T20 series at 2-2.",
            "The deciding match is in Lahore on Sunday, where tickets sold out "
            "within hours.",
        ],
        "section": "sports",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [DANIEL],
        "tags": ["cricket", "pakistan team"],
        "picture": "cricket",
        "breaking": True,
        "read_more": [("pakistan-womens-squad-named-for-asia-cup", 1)],
    },
    {
        "slug": "punjab-churches-prepare-for-christmas",
        "headline": "Churches in Punjab prepare for Christmas under tightened security",
        "standfirst": "Police will guard churches across the province during "
        "Christmas services, officials said.",
        "body": [
            "Police in Punjab will deploy extra officers at churches across the "
            "province for Christmas services, the provincial government said.",
            "Parish committees in Lahore, Faisalabad and Gujranwala said "
            "preparations were going ahead, with carol services planned every "
            "evening this week.",
            "Church leaders thanked volunteers who will help with security checks "
            "at the gates.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SAMUEL, MARYAM],
        "tags": ["christmas", "churches", "security", "lahore"],
        "picture": "church",
        "rank": 4,
        "read_more": [("christmas-lights-return-to-lahore-cathedral", 1)],
        "see_also": [
            "peshawar-church-restoration-completed",
            "video-faisalabad-choir-prepares-for-50th-carol-service",
        ],
    },
    {
        "slug": PUTIN_SLUG,
        "headline": PUTIN_HEADLINE,
        "standfirst": "The Russian president repeated his demand for legal "
        "guarantees that NATO will not expand further east.",
        "body": [
            "Russian President Vladimir Putin said Western countries had brought "
            "their missiles to Russia's doorstep and demanded security guarantees "
            "without delay.",
            "Speaking to senior defence officials in Moscow, he said Russia wanted "
            "legally binding commitments rather than promises, and that the next "
            "step was up to the United States and its allies.",
        ],
        "section": "world",
        "regions": ["europe"],
        "source": AGENCIES,
        "authors": [WORLD_DESK],
        "tags": ["russia", "nato", "security"],
        "picture": "kremlin",
    },
    {
        "slug": "video-faisalabad-choir-prepares-for-50th-carol-service",
        "headline": "Video: Faisalabad choir prepares for its 50th carol service",
        "standfirst": "Three generations of singers rehearse for a golden "
        "jubilee of carols.",
        "body": [
            "The choir of a Faisalabad parish has sung carols every Christmas for "
            "fifty years. We joined their rehearsals.",
            "Its oldest member, now 81, sang at the first service in 1975.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["christmas", "music", "churches"],
        "picture": "music",
        "kind": Article.Kind.VIDEO,
        "video_url": "https://www.youtube.com/watch?v=PCTVdemo001",
    },
    {
        "slug": "oil-prices-slip-as-opec-weighs-output",
        "headline": "Oil prices slip as OPEC+ weighs output plans",
        "standfirst": "Brent crude fell for a second day ahead of a meeting of "
        "oil producers.",
        "body": [
            "Oil prices fell on Wednesday as traders waited for OPEC+ to decide "
            "whether to extend its output cuts into the new year.",
            "Cheaper oil would ease Pakistan's import bill, analysts in Karachi said.",
        ],
        "section": "business",
        "regions": ["middle-east"],
        "source": "Reuters",
        "authors": [SARA],
        "tags": ["energy", "oil", "markets"],
        "picture": "energy",
        "see_also": ["remittances-from-gulf-hit-monthly-record"],
    },
    {
        "slug": "eu-leaders-agree-new-migration-rules",
        "headline": "EU leaders agree on new migration rules after all-night summit",
        "standfirst": "The deal shares out responsibility for asylum seekers "
        "between member states.",
        "body": [
            "European Union leaders agreed on new rules for handling asylum "
            "claims after talks in Brussels ran through the night.",
            "Rights groups said the deal would make it harder for families to "
            "reunite, while several governments called it a fair compromise.",
        ],
        "section": "world",
        "regions": ["europe"],
        "source": "AFP",
        "authors": [WORLD_DESK],
        "tags": ["diplomacy", "migration", "european union"],
        "picture": "summit",
    },
    {
        "slug": "champions-league-late-goal-sends-holders-through",
        "headline": "Champions League: late goal sends holders through to last 16",
        "standfirst": "A header in stoppage time settled a tense night in the "
        "group stage.",
        "body": [
            "The holders reached the last 16 of the Champions League with a "
            "header deep into stoppage time.",
            "Their coach said the team had “learned to suffer” in a difficult group.",
        ],
        "section": "sports",
        "regions": ["europe"],
        "source": "AFP",
        "authors": [DANIEL],
        "tags": ["football"],
        "picture": "sport",
    },
    {
        "slug": GALLERY_SLUG,
        "headline": GALLERY_HEADLINE,
        "standfirst": "Pictures from the Emirati astronaut's mission to the "
        "International Space Station.",
        "body": [
            "Hazza Al Mansouri became the first Emirati in space when he flew to "
            "the International Space Station.",
            "These pictures follow the mission from launch to landing.",
        ],
        "section": "world",
        "regions": ["middle-east"],
        "source": AGENCIES,
        "authors": [WORLD_DESK],
        "tags": ["space", "united arab emirates"],
        "picture": "iss-launch",
        "kind": Article.Kind.GALLERY,
        "gallery": ["iss-launch", "iss-crew", "iss-window", "iss-landing"],
    },
    {
        "slug": "pakistani-gospel-singers-tour-uk-churches",
        "headline": "Pakistani gospel singers tour churches across the UK",
        "standfirst": "A group from Lahore is singing Punjabi hymns in ten "
        "British cities.",
        "body": [
            "A gospel group from Lahore has begun a tour of churches in Britain, "
            "singing hymns in Punjabi and Urdu.",
            "The tour, its first abroad, ends in Birmingham on New Year's Eve.",
        ],
        "section": "culture",
        "regions": ["europe", "asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["music", "churches"],
        "picture": "music",
    },
    {
        "slug": "karachi-stocks-close-at-record-high",
        "headline": "Karachi stocks close at record high on IMF review hopes",
        "standfirst": "The benchmark index rose for a fifth day as investors bet "
        "on the next loan tranche.",
        "body": [
            "Pakistan's main share index closed at a record high on Tuesday, led "
            "by banks and cement makers.",
            "Brokers said hopes of a smooth IMF review had brought back foreign "
            "buyers.",
        ],
        "section": "business",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SARA],
        "tags": ["markets", "economy", "karachi"],
        "picture": "markets",
        "updated": 4,
        "see_also": [
            "state-bank-holds-policy-rate",
            ("https://www.psx.com.pk/", "Pakistan Stock Exchange"),
        ],
    },
    {
        "slug": "us-congress-passes-stopgap-bill",
        "headline": "US Congress passes stopgap bill to avert government shutdown",
        "standfirst": "The measure keeps federal agencies funded into the new year.",
        "body": [
            "The US Congress passed a short-term spending bill hours before a "
            "deadline, avoiding a government shutdown.",
            "Lawmakers now have until late January to agree on a budget for the "
            "full year.",
        ],
        "section": "world",
        "regions": ["us"],
        "source": "AP",
        "authors": [WORLD_DESK],
        "tags": ["united states", "politics"],
        "picture": "capitol",
    },
    {
        "slug": "senate-committee-backs-minority-student-places",
        "headline": "Senate committee backs bill reserving university places for "
        "minority students",
        "standfirst": "The bill would set aside places at public universities for "
        "students from religious minorities.",
        "body": [
            "A Senate committee approved a bill that would reserve places at "
            "public universities for students from religious minorities.",
            "Christian and Hindu community leaders welcomed the vote and urged "
            "the full Senate to take it up quickly.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SAMUEL],
        "tags": ["minorities", "education", "politics"],
        "picture": "parliament",
    },
    {
        "slug": "video-how-sialkot-football-makers-supply-the-world",
        "headline": "Video: How Sialkot's football makers supply the world",
        "standfirst": "Inside the workshops that stitch footballs for leagues "
        "across Europe.",
        "body": [
            "Sialkot makes a large share of the world's hand-stitched footballs. "
            "We visited a workshop before the spring orders.",
            "Owners say demand from European clubs is growing again.",
        ],
        "section": "business",
        "regions": ["asia-pacific", "europe"],
        "source": STAFF,
        "authors": [SARA, DANIEL],
        "tags": ["trade", "football", "exports"],
        "picture": "industry",
        "kind": Article.Kind.VIDEO,
        "video_url": "https://www.youtube.com/watch?v=PCTVdemo002",
    },
    {
        "slug": "floods-displace-thousands-in-southern-kenya",
        "headline": "Floods displace thousands in southern Kenya",
        "standfirst": "Heavy rain has swept away roads and bridges, the Red Cross "
        "said.",
        "body": [
            "Floods have forced thousands of people from their homes in southern "
            "Kenya after days of heavy rain, the Kenya Red Cross said.",
            "Churches and schools have opened their doors as shelters.",
        ],
        "section": "world",
        "regions": ["africa"],
        "source": "AP",
        "authors": [WORLD_DESK],
        "tags": ["climate", "humanitarian aid", "kenya"],
        "picture": "aid",
        "see_also": ["un-climate-talks-close-with-adaptation-pledge"],
    },
    {
        "slug": "christmas-lights-return-to-lahore-cathedral",
        "headline": "Christmas lights return to Lahore's Cathedral Church of the "
        "Resurrection (photos)",
        "standfirst": "The cathedral and Mall Road are lit up for the season.",
        "body": [
            "Lahore's Cathedral Church of the Resurrection switched on its "
            "Christmas lights on Sunday evening.",
            "Hundreds of families came to see the lights and hear the carols.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["christmas", "churches", "lahore"],
        "picture": "lights-cathedral",
        "kind": Article.Kind.GALLERY,
        "gallery": ["lights-cathedral", "lights-street", "lights-choir"],
    },
    {
        "slug": "us-jobs-growth-beats-forecasts",
        "headline": "US jobs growth beats forecasts in November",
        "standfirst": "Employers added more jobs than economists expected.",
        "body": [
            "US employers added more jobs than expected last month, official "
            "figures showed.",
            "The strong report lowered expectations of an early interest rate cut.",
        ],
        "section": "business",
        "regions": ["us"],
        "source": "AP",
        "authors": [SARA],
        "tags": ["economy", "united states", "interest rates"],
        "picture": "markets",
        "read_more": [("ecb-signals-pause-in-rate-cuts", 2)],
    },
    {
        "slug": "pakistan-reach-hockey-semi-final",
        "headline": "Pakistan reach Asian Champions Trophy hockey semi-final",
        "standfirst": "A 3-1 win over Malaysia sets up a semi-final against the hosts.",
        "body": [
            "Pakistan beat Malaysia 3-1 to reach the semi-finals of the Asian "
            "Champions Trophy.",
            "The coach praised a young defence that has conceded only twice in "
            "the tournament.",
        ],
        "section": "sports",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [DANIEL],
        "tags": ["hockey", "pakistan team"],
        "picture": "sport",
        "see_also": ["pakistan-beat-new-zealand-to-level-t20-series"],
    },
    {
        "slug": "lahore-literary-festival-announces-line-up",
        "headline": "Lahore Literary Festival announces February line-up",
        "standfirst": "Writers from twelve countries will take part.",
        "body": [
            "The Lahore Literary Festival announced its programme for February, "
            "with writers from twelve countries.",
            "A panel on Punjabi Christian poetry is among the new events.",
        ],
        "section": "culture",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["books", "lahore"],
        "picture": "arts",
    },
    {
        "slug": "polio-vaccination-drive-begins",
        "headline": "Nationwide polio vaccination drive begins",
        "standfirst": "Health workers aim to reach millions of children under five.",
        "body": [
            "A week-long polio vaccination campaign began across Pakistan on Monday.",
            "Church leaders joined imams in urging parents to let health workers in.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": "AFP",
        "authors": [SAMUEL],
        "tags": ["health", "polio"],
        "picture": "health",
        "see_also": [
            (
                "https://www.who.int/news-room/fact-sheets/detail/poliomyelitis",
                "World Health Organization: Poliomyelitis fact sheet",
            )
        ],
    },
    {
        "slug": "ecb-signals-pause-in-rate-cuts",
        "headline": "European Central Bank signals pause in rate cuts",
        "standfirst": "Policymakers want more evidence that inflation is under "
        "control.",
        "body": [
            "The European Central Bank left interest rates unchanged and "
            "signalled it was in no hurry to cut them further.",
            "The euro rose against the dollar after the announcement.",
        ],
        "section": "business",
        "regions": ["europe"],
        "source": "Reuters",
        "authors": [SARA],
        "tags": ["economy", "interest rates", "european union"],
        "picture": "markets",
    },
    {
        "slug": "morocco-reach-african-nations-championship-final",
        "headline": "Morocco book place in African Nations Championship final",
        "standfirst": "A penalty shoot-out win takes the holders back to the final.",
        "body": [
            "Morocco reached the final of the African Nations Championship after "
            "a penalty shoot-out.",
            "They will meet the winner of Sunday's second semi-final.",
        ],
        "section": "sports",
        "regions": ["africa", "middle-east"],
        "source": "AFP",
        "authors": [DANIEL],
        "tags": ["football"],
        "picture": "sport",
    },
    {
        "slug": "brazil-and-argentina-to-link-power-grids",
        "headline": "Brazil and Argentina sign deal to link power grids",
        "standfirst": "The agreement lets the neighbours trade electricity in dry "
        "seasons.",
        "body": [
            "Brazil and Argentina signed an agreement to connect their power "
            "grids more closely.",
            "Officials said the link would help both countries through droughts "
            "that cut hydropower.",
        ],
        "section": "world",
        "regions": ["americas"],
        "source": "Reuters",
        "authors": [WORLD_DESK],
        "tags": ["energy", "diplomacy"],
        "picture": "energy",
    },
    {
        "slug": "video-christmas-carols-in-punjabi-from-karachi",
        "headline": "Video: Christmas carols in Punjabi from a Karachi parish",
        "standfirst": "Listen to a parish choir's favourite Punjabi carols.",
        "body": [
            "A parish choir in Karachi sings three of its favourite Punjabi carols.",
            "The choir has recorded an album to raise money for its school.",
        ],
        "section": "culture",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["christmas", "music", "karachi"],
        "picture": "music",
        "kind": Article.Kind.VIDEO,
        "video_url": "https://www.youtube.com/watch?v=PCTVdemo003",
        "see_also": [
            "video-faisalabad-choir-prepares-for-50th-carol-service",
            "christmas-lights-return-to-lahore-cathedral",
        ],
    },
    {
        "slug": "pakistan-iran-reopen-border-crossing",
        "headline": "Pakistan and Iran reopen border crossing for trade",
        "standfirst": "Traders in Balochistan welcomed the move after months of "
        "closure.",
        "body": [
            "Pakistan and Iran reopened a border crossing in Balochistan to "
            "trade lorries.",
            "Local traders said the closure had hit fruit and fuel sellers hard.",
        ],
        "section": "pakistan",
        "regions": ["middle-east", "asia-pacific"],
        "source": AGENCIES,
        "authors": [SAMUEL],
        "tags": ["trade", "diplomacy"],
        "picture": "summit",
    },
    {
        "slug": "remittances-from-gulf-hit-monthly-record",
        "headline": "Remittances from Gulf workers hit monthly record",
        "standfirst": "Money sent home from Saudi Arabia and the UAE rose sharply "
        "in November.",
        "body": [
            "Pakistanis working in the Gulf sent home a record amount last "
            "month, central bank figures showed.",
            "The inflows help support the rupee and the country's reserves.",
        ],
        "section": "business",
        "regions": ["middle-east", "asia-pacific"],
        "source": STAFF,
        "authors": [SARA],
        "tags": ["economy", "remittances", "united arab emirates"],
        "picture": "industry",
    },
    {
        "slug": "brick-kiln-documentary-wins-award-in-toronto",
        "headline": "Pakistani documentary on brick-kiln families wins award in "
        "Toronto",
        "standfirst": "The film follows three families working to pay off debts.",
        "body": [
            "A Pakistani documentary about families working in brick kilns won "
            "an audience award at a Toronto festival.",
            "Its director said she hoped the prize would bring attention to "
            "bonded labour.",
        ],
        "section": "culture",
        "regions": ["americas"],
        "source": "AFP",
        "authors": [MARYAM],
        "tags": ["film", "minorities"],
        "picture": "arts",
    },
    {
        "slug": "boston-extend-winning-run-to-nine-games",
        "headline": "NBA: Boston extend winning run to nine games",
        "standfirst": "A strong final quarter secured another win at home.",
        "body": [
            "Boston won their ninth game in a row with a strong fourth quarter "
            "at home.",
            "They lead their conference by three games.",
        ],
        "section": "sports",
        "regions": ["us"],
        "source": "AP",
        "authors": [DANIEL],
        "tags": ["basketball", "united states"],
        "picture": "sport",
    },
    {
        "slug": "un-climate-talks-close-with-adaptation-pledge",
        "headline": "UN climate talks close with pledge on adaptation finance",
        "standfirst": "Rich countries promised more money to help poorer ones "
        "cope with floods and droughts.",
        "body": [
            "UN climate talks ended with a pledge to increase money for "
            "countries adapting to floods, droughts and heatwaves.",
            "Pakistan's delegation said the promise must be followed by real funds.",
        ],
        "section": "world",
        "regions": ["europe", "africa"],
        "source": AGENCIES,
        "authors": [WORLD_DESK],
        "tags": ["climate", "diplomacy"],
        "picture": "summit",
    },
    {
        "slug": "peshawar-church-restoration-completed",
        "headline": "Peshawar church restoration completed after three years",
        "standfirst": "The nineteenth-century church reopens with its painted "
        "ceiling restored.",
        "body": [
            "A historic church in Peshawar reopened after a three-year restoration.",
            "Craftsmen repaired its carved wooden doors and painted ceiling.",
        ],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SAMUEL],
        "tags": ["churches", "heritage"],
        "picture": "church",
        "updated": 5,
    },
    {
        "slug": "faisalabad-textile-exporters-report-more-orders",
        "headline": "Faisalabad textile exporters report rise in European orders",
        "standfirst": "Mills say buyers are returning ahead of spring.",
        "body": [
            "Textile mills in Faisalabad said orders from European buyers rose "
            "this quarter.",
            "Exporters warned that high power costs could still hold them back.",
        ],
        "section": "business",
        "regions": ["asia-pacific", "europe"],
        "source": "Reuters",
        "authors": [SARA],
        "tags": ["trade", "exports", "economy"],
        "picture": "industry",
    },
    {
        "slug": "karachi-truck-art-painters-keep-tradition-alive",
        "headline": "Truck art: Karachi painters keep a tradition alive (photos)",
        "standfirst": "In a Karachi yard, painters still decorate trucks by hand.",
        "body": [
            "Painters in a Karachi truck yard still decorate lorries by hand "
            "with flowers, birds and verses.",
            "A full truck can take a month to finish.",
        ],
        "section": "culture",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["art", "karachi", "heritage"],
        "picture": "truck-painter",
        "kind": Article.Kind.GALLERY,
        "gallery": ["truck-painter", "truck-peacock", "truck-convoy"],
    },
    {
        "slug": "pakistan-womens-squad-named-for-asia-cup",
        "headline": "Pakistan women's squad named for Asia Cup",
        "standfirst": "Two uncapped players are in the fifteen.",
        "body": [
            "Selectors named two uncapped players in Pakistan's squad for the "
            "women's Asia Cup.",
            "The team begins its campaign against Nepal.",
        ],
        "section": "sports",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [DANIEL],
        "tags": ["cricket", "pakistan team"],
        "picture": "cricket",
    },
    {
        "slug": "cairo-museum-reopens-coptic-gallery",
        "headline": "Cairo museum reopens its Coptic gallery",
        "standfirst": "Icons and manuscripts are back on show after renovation.",
        "body": [
            "A museum in Cairo reopened its Coptic gallery after two years of "
            "renovation.",
            "The collection includes icons, textiles and early manuscripts.",
        ],
        "section": "culture",
        "regions": ["africa", "middle-east"],
        "source": "AFP",
        "authors": [MARYAM],
        "tags": ["heritage", "egypt", "art"],
        "picture": "arts",
    },
    {
        "slug": "nigeria-fintech-start-ups-raise-record-funding",
        "headline": "Nigeria's fintech start-ups raise record funding",
        "standfirst": "Investors are betting on mobile payments across West Africa.",
        "body": [
            "Nigerian financial technology start-ups raised a record amount of "
            "funding this year, a report found.",
            "Most of the money went to mobile payment services.",
        ],
        "section": "business",
        "regions": ["africa"],
        "source": "Reuters",
        "authors": [SARA],
        "tags": ["markets", "technology"],
        "picture": "markets",
    },
    {
        "slug": "karachi-teenager-wins-junior-squash-title",
        "headline": "Karachi teenager wins junior squash open",
        "standfirst": "The 16-year-old came from two games down in the final.",
        "body": [
            "A 16-year-old from Karachi won the junior squash open after coming "
            "from two games down in the final.",
            "Her coach called it the best comeback he had seen.",
        ],
        "section": "sports",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [DANIEL],
        "tags": ["squash", "karachi"],
        "picture": "sport",
    },
    {
        "slug": "urdu-hymnbook-reissued-in-digital-edition",
        "headline": "Classic Urdu hymnbook reissued in a digital edition",
        "standfirst": "The new edition adds recordings of every tune.",
        "body": [
            "A hymnbook used in Urdu-speaking churches for decades has been "
            "reissued as a free app.",
            "Each hymn comes with a recording by a Lahore choir.",
        ],
        "section": "culture",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [MARYAM],
        "tags": ["music", "churches", "books"],
        "picture": "music",
    },
    {
        "slug": "new-york-exhibition-shows-mughal-miniatures",
        "headline": "New York exhibition shows Mughal miniatures",
        "standfirst": "More than a hundred paintings are on loan from collections "
        "around the world.",
        "body": [
            "An exhibition of Mughal miniature paintings opened in New York.",
            "Several works from Lahore are shown in the United States for the "
            "first time.",
        ],
        "section": "culture",
        "regions": ["us", "americas"],
        "source": "AP",
        "authors": [MARYAM],
        "tags": ["art", "heritage", "united states"],
        "picture": "arts",
    },
]

# Stories readers must not see yet: a draft and one scheduled for later.
HIDDEN_STORIES = [
    {
        "slug": "interview-new-principal-lahore-church-school",
        "headline": "Interview: the new principal of a Lahore church school",
        "standfirst": "She plans to open the school library to the neighbourhood.",
        "body": ["The new principal talks about her plans for the school."],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SAMUEL],
        "tags": ["education", "lahore"],
        "picture": "church",
        "status": Article.Status.DRAFT,
    },
    {
        "slug": "christmas-day-services-across-pakistan",
        "headline": "Christmas Day: services from churches across Pakistan",
        "standfirst": "Follow Christmas services from Karachi to Peshawar.",
        "body": ["Our reporters will follow Christmas services across the country."],
        "section": "pakistan",
        "regions": ["asia-pacific"],
        "source": STAFF,
        "authors": [SAMUEL, MARYAM],
        "tags": ["christmas", "churches"],
        "picture": "church",
        "status": "scheduled",
    },
]

# Newest story first, about ten days for the whole list.
FIRST_STORY_AGE = timedelta(minutes=30)
STORY_SPACING = timedelta(hours=5, minutes=30)
SCHEDULED_IN = timedelta(days=2)


def draw_picture(picture: Picture, seed: str) -> bytes:
    """A JPEG with a two-colour gradient, soft circles and a large “DEMO” caption."""
    width, height = picture.size
    start = PILImage.new("RGB", picture.size, ImageColor.getrgb(picture.colours[0]))
    end = PILImage.new("RGB", picture.size, ImageColor.getrgb(picture.colours[1]))
    vertical = PILImage.linear_gradient("L")
    mask = PILImage.blend(vertical, vertical.rotate(90), 0.5).resize(picture.size)
    canvas = PILImage.composite(end, start, mask).convert("RGBA")

    shapes = PILImage.new("RGBA", picture.size)
    draw = ImageDraw.Draw(shapes)
    rng = random.Random(seed)
    for _ in range(6):
        radius = rng.randint(height // 8, height // 2)
        x, y = rng.randint(0, width), rng.randint(0, height)
        opacity = rng.randint(25, 70)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius),
            fill=(255, 255, 255, opacity),
        )
    canvas = PILImage.alpha_composite(canvas, shapes).convert("RGB")

    draw = ImageDraw.Draw(canvas)
    margin = width // 20
    big = ImageFont.load_default(size=height // 4)
    small = ImageFont.load_default(size=height // 12)
    outline = {"stroke_width": 3, "stroke_fill": (0, 0, 0)}
    draw.text(
        (margin, height // 2), "DEMO", font=big, fill="white", anchor="ls", **outline
    )
    draw.text(
        (margin, height // 2 + height // 8),
        picture.label,
        font=small,
        fill="white",
        anchor="ls",
        **outline,
    )
    draw.text(
        (margin, height - margin),
        "Pakistan Christian TV · demo picture",
        font=ImageFont.load_default(size=height // 28),
        fill="white",
        anchor="ls",
    )
    buffer = BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def load_pictures() -> tuple[dict[str, Image], int]:
    """Find or create an Image for each picture; returns them by key and how
    many were drawn. Drawing also writes renditions to storage."""
    images = {}
    drawn = 0
    for key, picture in PICTURES.items():
        image = Image.objects.filter(alt_text=picture.alt).first()
        if image is None:
            image = Image(
                file=ContentFile(draw_picture(picture, key), name=f"demo-{key}.jpg"),
                alt_text=picture.alt,
            )
            drawn += 1
        image.caption = picture.caption
        image.credit = picture.credit
        image.save()
        images[key] = image
    return images, drawn


def load_story(
    story: dict,
    published_at: datetime | None,
    sections: dict[str, Section],
    regions: dict[str, Region],
    sources: dict[str, Source],
    authors: dict[str, Author],
    images: dict[str, Image],
) -> tuple[Article, bool]:
    """Create or refresh one story with its bylines, regions, tags and gallery."""
    status = story.get("status", Article.Status.PUBLISHED)
    if status == "scheduled":
        status = Article.Status.PUBLISHED
    body = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in story["body"])
    if story["slug"] != SAMPLE_SLUG:
        body += DEMO_NOTE
    updated = story.get("updated")
    article, created = Article.objects.update_or_create(
        slug=story["slug"],
        defaults={
            "headline": story["headline"],
            "standfirst": story["standfirst"],
            "body": body,
            "kind": story.get("kind", Article.Kind.STORY),
            "status": status,
            "section": sections[story["section"]],
            "source": sources[story["source"]],
            "lead_image": images[story["picture"]],
            "lead_image_caption": "",
            "video_url": story.get("video_url", ""),
            "published_at": published_at,
            "updated_at": published_at + timedelta(hours=updated) if updated else None,
            "is_breaking": story.get("breaking", False),
            "breaking_until": None,
            "front_page_rank": story.get("rank"),
        },
    )
    article.regions.set([regions[slug] for slug in story["regions"]])
    article.tags.set(story["tags"])
    article.bylines.all().delete()
    Byline.objects.bulk_create(
        Byline(article=article, author=authors[slug], position=position)
        for position, slug in enumerate(story["authors"], start=1)
    )
    article.gallery_items.all().delete()
    GalleryImage.objects.bulk_create(
        GalleryImage(
            article=article,
            image=images[key],
            position=position,
            caption=PICTURES[key].caption,
        )
        for position, key in enumerate(story.get("gallery", []), start=1)
    )
    return article, created


def load_links(stories: list[dict], articles: dict[str, Article]) -> None:
    """Replace the “read more” and “See also” links of the demo stories."""
    ReadMoreLink.objects.filter(article__in=articles.values()).delete()
    SeeAlsoLink.objects.filter(article__in=articles.values()).delete()
    for story in stories:
        article = articles[story["slug"]]
        ReadMoreLink.objects.bulk_create(
            ReadMoreLink(article=article, target=articles[slug], after_paragraph=after)
            for slug, after in story.get("read_more", [])
        )
        links = []
        for position, link in enumerate(story.get("see_also", []), start=1):
            if isinstance(link, tuple):
                url, title = link
                links.append(
                    SeeAlsoLink(
                        article=article, position=position, url=url, title=title
                    )
                )
            else:
                links.append(
                    SeeAlsoLink(
                        article=article, position=position, target=articles[link]
                    )
                )
        SeeAlsoLink.objects.bulk_create(links)


class Command(BaseCommand):
    help = "Load demo sections, regions, authors, pictures and about 40 stories."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        now = timezone.now()
        sections = {}
        for position, (name, slug, description) in enumerate(SECTIONS, start=1):
            sections[slug], _ = Section.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "position": position,
                },
            )
        regions = {}
        for position, (name, slug) in enumerate(REGIONS, start=1):
            regions[slug], _ = Region.objects.update_or_create(
                slug=slug, defaults={"name": name, "position": position}
            )
        sources = {}
        for name, url in SOURCES:
            sources[name], _ = Source.objects.update_or_create(
                name=name, defaults={"url": url}
            )

        images, drawn = load_pictures()

        authors = {}
        for name, slug, bio, picture in AUTHORS:
            authors[slug], _ = Author.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "bio": bio,
                    "photo": images[picture] if picture else None,
                },
            )

        articles = {}
        created = 0
        for index, story in enumerate(STORIES):
            published_at = now - FIRST_STORY_AGE - STORY_SPACING * index
            articles[story["slug"]], new = load_story(
                story, published_at, sections, regions, sources, authors, images
            )
            created += new
        for story in HIDDEN_STORIES:
            published_at = (
                now + SCHEDULED_IN if story["status"] == "scheduled" else None
            )
            articles[story["slug"]], new = load_story(
                story, published_at, sections, regions, sources, authors, images
            )
            created += new
        load_links(STORIES + HIDDEN_STORIES, articles)
        # The links went in with bulk_create, which sends no signals.
        purge.record(["site"])

        if created:
            summary = f"Loaded demo content: {created} new stories"
        else:
            summary = "Demo content already loaded; refreshed it: 0 new stories"
        self.stdout.write(
            f"{summary}, {len(articles)} in all ({len(STORIES)} published, "
            f"{len(HIDDEN_STORIES)} hidden), {len(images)} images ({drawn} new), "
            f"{len(sections)} sections, {len(regions)} regions, "
            f"{len(sources)} sources, {len(authors)} authors."
        )
