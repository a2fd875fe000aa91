from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, get_language_bidi

from .models import Region, Section
from .pagecache import shows
from .purge import remembered


def navigation() -> tuple[list[Section], list[Region]]:
    """Every section and region in menu order. Each worker reads them again
    only when one is saved (which purges `nav`)."""
    shows("nav")
    return remembered(
        "navigation",
        lambda: (list(Section.objects.all()), list(Region.objects.all())),
        keys=("nav",),
    )


def site(request: HttpRequest) -> dict:
    """Site name and the navigation; the navigation is looked up only when a
    template uses it."""
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "nav_sections": lambda: navigation()[0],
        "nav_regions": lambda: navigation()[1],
        # The page's language (from its address) for <html lang dir>.
        "LANGUAGE_CODE": get_language(),
        "LANGUAGE_BIDI": get_language_bidi(),
    }
