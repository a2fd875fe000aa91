"""Staff pages of one's own account (two-factor methods, sessions), under
the admin's address (settings.ADMIN_URL + "account/")."""

from django.urls import path

from . import sessions, views

app_name = "accounts"

urlpatterns = [
    path("sessions/", sessions.sessions_view, name="sessions"),
    path("sign-in/step-two/", views.verify, name="verify"),
    path("sign-in/protect/", views.enrol, name="enrol"),
    path("security/", views.security, name="security"),
    path("security/authenticator-app/", views.add_totp, name="add-totp"),
    path("security/authenticator-app/cancel/", views.cancel_totp, name="cancel-totp"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path(
        "security/recovery-codes/download/",
        views.recovery_codes_download,
        name="recovery-codes-download",
    ),
    path(
        "security/remove/<slug:kind>/<int:pk>/",
        views.remove_method,
        name="remove-method",
    ),
]
