from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from alerts.views import service_worker

from .health import healthz, readyz

# The database being unreachable answers 503, not 500 (newsroom/outage.py).
handler500 = "newsroom.outage.server_error"

admin.site.site_header = "Pakistan Christian TV newsroom"
admin.site.site_title = "PCTV newsroom"
admin.site.index_title = "Your desk"

handler400 = "newsroom.security.bad_request"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # The notifications' service worker: at the root, for the whole site.
    path("sw.js", service_worker, name="service-worker"),
    path(f"{settings.ADMIN_URL}account/", include("accounts.urls")),
    # Passkey endpoints (django-otp-webauthn's, audited): under the admin so
    # a half-signed-in session is kept to them by accounts/middleware.py.
    path(f"{settings.ADMIN_URL}account/passkeys/", include("accounts.webauthn")),
    path(settings.ADMIN_URL, admin.site.urls),
    # Readers' pages: English ones at their addresses, Urdu ones under /ur/;
    # the language comes from the address alone (newsroom/languages.py).
    *i18n_patterns(
        path("", include("articles.urls")),
        path("", include("live.urls")),
        path("", include("alerts.urls")),
        prefix_default_language=False,
    ),
]


def serve_media(request, path):
    # MEDIA_ROOT is read per request so tests can point it at a temporary folder.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.DEV:
    # In production the proxy or object storage serves uploads.
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{prefix}(?P<path>.*)$", serve_media))
