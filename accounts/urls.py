"""Staff pages of one's own account (two-factor methods, sessions), under
the admin's address (settings.ADMIN_URL + "account/")."""

from django.urls import path

from . import sessions

app_name = "accounts"

urlpatterns: list = [
    path("sessions/", sessions.sessions_view, name="sessions"),
]
