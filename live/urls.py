from django.urls import path

from . import views

app_name = "live"

urlpatterns = [
    path("live/<int:pk>/", views.live_updates, name="live-updates"),
]
