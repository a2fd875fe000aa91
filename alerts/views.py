"""Readers' e-mail alerts: subscribe (double opt-in), confirm, unsubscribe.

None of these pages is cached (articles/pagecache.py, deploy/varnish.vcl).
The subscribe form answers the same whether the address is known or not,
and sends at most one confirmation per address per ALERT_CONFIRM_INTERVAL.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import sending
from .forms import SubscribeForm
from .models import EmailSend, EmailSubscriber
from .tokens import read_confirm_value


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = SubscribeForm(initial={"breaking": True})
        return render(request, "alerts/subscribe.html", {"form": form})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/subscribe.html", {"form": form}, status=400)
    wants = {
        "breaking": form.cleaned_data["breaking"],
        "digest": form.cleaned_data["digest"],
        # The alerts' language: the page's, once confirmed.
        "language": get_language(),
    }
    with transaction.atomic():
        subscriber, created = EmailSubscriber.objects.select_for_update().get_or_create(
            email=form.cleaned_data["email"],
            defaults={
                "language": get_language(),
                "wants_breaking": wants["breaking"],
                "wants_digest": wants["digest"],
            },
        )
        now = timezone.now()
        interval = timedelta(seconds=settings.ALERT_CONFIRM_INTERVAL)
        sent_at = subscriber.confirmation_sent_at
        if sent_at is None or sent_at <= now - interval:
            subscriber.confirmation_sent_at = now
            subscriber.save(update_fields=["confirmation_sent_at"])
            send = EmailSend.objects.create(kind=EmailSend.Kind.CONFIRM)
            sending.in_background(
                sending.send_confirmation, send.pk, subscriber.pk, wants
            )
    return render(request, "alerts/check_inbox.html", {"email": subscriber.email})


@never_cache
@require_http_methods(["GET", "HEAD"])
def confirm(request: HttpRequest, value: str) -> HttpResponse:
    data = read_confirm_value(value)
    if data is None:
        raise Http404("Bad or expired confirmation link.")
    subscriber = get_object_or_404(EmailSubscriber, token=data["t"])
    subscriber.wants_breaking = bool(data.get("b"))
    subscriber.wants_digest = bool(data.get("d"))
    if data.get("l") in dict(settings.LANGUAGES):
        subscriber.language = data["l"]
    if subscriber.confirmed_at is None or subscriber.unsubscribed_at is not None:
        subscriber.confirmed_at = timezone.now()
    subscriber.unsubscribed_at = None
    subscriber.save()
    return render(request, "alerts/confirmed.html", {"subscriber": subscriber})


@csrf_exempt  # RFC 8058: mail clients POST here with no cookie or token.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = get_object_or_404(EmailSubscriber, token=token)
    if request.method == "POST":
        if subscriber.unsubscribed_at is None:
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save(update_fields=["unsubscribed_at"])
        return render(request, "alerts/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "alerts/unsubscribe.html", {"subscriber": subscriber})
