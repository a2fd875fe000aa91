from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("alerts/", views.subscribe, name="subscribe"),
    path("alerts/confirm/<str:value>/", views.confirm, name="confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("alerts/push/", views.push_subscribe, name="push-subscribe"),
    path("alerts/push/off/", views.push_unsubscribe, name="push-unsubscribe"),
    path("alerts/push/renew/", views.push_renew, name="push-renew"),
]
