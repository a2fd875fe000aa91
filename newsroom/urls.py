from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Pakistan Christian TV newsroom"
admin.site.site_title = "PCTV newsroom"
admin.site.index_title = "Stories and media"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
