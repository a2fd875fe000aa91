"""Staff pages of one's own account (two-factor methods, sessions), under
the admin's address (settings.ADMIN_URL + "account/")."""

app_name = "accounts"

urlpatterns: list = []
