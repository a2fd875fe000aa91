"""The language of a request comes from its address alone: /ur/... is Urdu,
every other address is English (settings.LANGUAGE_CODE). No cookie and no
Accept-Language header is read, so a page is the same for every reader, and
nothing is added to Vary; no address redirects to another.

Django's LocaleMiddleware would read both and vary by Accept-Language."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def language_of(path: str) -> str:
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def language_from_path(get_response):
    def middleware(request: HttpRequest) -> HttpResponse:
        language = language_of(request.path_info)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            return get_response(request)

    return middleware
