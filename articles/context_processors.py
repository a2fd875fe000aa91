from django.conf import settings
from django.http import HttpRequest

from .models import Region, Section


def site(request: HttpRequest) -> dict:
    """Site name and the navigation; two small queries, evaluated only when a
    template uses them."""
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "nav_sections": Section.objects.only("name", "slug"),
        "nav_regions": Region.objects.only("name", "slug"),
    }
