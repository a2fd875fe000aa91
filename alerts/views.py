"""Readers' e-mail alerts: subscribe (double opt-in), confirm, unsubscribe.

None of these pages is cached (articles/pagecache.py, deploy/varnish.vcl).
The subscribe form answers the same whether the address is known or not,
and sends at most one confirmation per address per ALERT_CONFIRM_INTERVAL.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from articles.models import Section

from . import push, sending
from .forms import SubscribeForm
from .models import EmailSend, EmailSubscriber, PushSubscription
from .tokens import read_confirm_value


def page_context(form: SubscribeForm) -> dict:
    """The alerts page: the e-mail form, and what the notifications' part
    needs (static/js/push.js): the VAPID key and the sections to choose."""
    return {
        "form": form,
        "vapid_public_key": push.public_key(),
        "sections": Section.objects.all(),
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = SubscribeForm(initial={"breaking": True})
        return render(request, "alerts/subscribe.html", page_context(form))
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/subscribe.html", page_context(form), status=400)
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


def push_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


class BadSubscription(ValueError):
    pass


def read_subscription(data) -> dict:
    """The endpoint and keys of PushSubscription.toJSON(), checked: a push
    service's address (never one a stranger chose) and a valid key pair."""
    try:
        endpoint = data["endpoint"]
        p256dh, auth = data["keys"]["p256dh"], data["keys"]["auth"]
    except (KeyError, TypeError):
        raise BadSubscription("Expected a push subscription as JSON.") from None
    if not all(isinstance(value, str) for value in [endpoint, p256dh, auth]):
        raise BadSubscription("Expected a push subscription as JSON.")
    if len(endpoint) > 1000 or not push.endpoint_allowed(endpoint):
        raise BadSubscription("This push service is not accepted.")
    if not push.keys_valid(p256dh, auth):
        raise BadSubscription("The subscription's keys are not valid.")
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}


def json_body(request: HttpRequest):
    try:
        return json.loads(request.body)
    except ValueError:
        raise BadSubscription("Expected JSON.") from None


@never_cache
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """Save a browser's push subscription (PushSubscription.toJSON() plus
    "sections", a list of section slugs; none means every section) for the
    page's language. Posting again with the same endpoint updates it."""
    if not push.public_key():
        return push_error("Notifications are not set up on this site.", 503)
    try:
        data = json_body(request)
        fields = read_subscription(data)
        slugs = data.get("sections") or []
        if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
            raise BadSubscription("Expected a list of sections.")
    except BadSubscription as error:
        return push_error(str(error))
    sections = list(Section.objects.filter(slug__in=slugs))
    endpoint = fields.pop("endpoint")
    with transaction.atomic():
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults=fields | {"language": get_language()}
        )
        subscription.sections.set(sections)
    return JsonResponse(
        {"sections": [section.slug for section in sections]},
        status=201 if created else 200,
    )


@csrf_exempt  # The service worker has no page and no token: see below.
@never_cache
@require_POST
def push_renew(request: HttpRequest) -> JsonResponse:
    """The browser replaced a subscription (static/js/sw.js, on
    pushsubscriptionchange): {"old_endpoint": ..., "subscription": ...}.
    Only whoever knows the old endpoint, a secret between the browser, its
    push service and this site, can move it; language and sections stay."""
    try:
        data = json_body(request)
        if not isinstance(data, dict) or not isinstance(data.get("old_endpoint"), str):
            raise BadSubscription("Expected the old endpoint.")
        fields = read_subscription(data.get("subscription"))
    except BadSubscription as error:
        return push_error(str(error))
    with transaction.atomic():
        subscription = (
            PushSubscription.objects.select_for_update()
            .filter(endpoint=data["old_endpoint"])
            .first()
        )
        if subscription is None:
            return push_error("No such subscription.", 404)
        PushSubscription.objects.filter(endpoint=fields["endpoint"]).exclude(
            pk=subscription.pk
        ).delete()
        for name, value in fields.items():
            setattr(subscription, name, value)
        subscription.save()
    return JsonResponse({"renewed": True})


@never_cache
@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    """Forget a browser's subscription: {"endpoint": ...}."""
    try:
        endpoint = json.loads(request.body)["endpoint"]
    except (ValueError, KeyError, TypeError):
        return push_error('Expected {"endpoint": ...} as JSON.')
    if not isinstance(endpoint, str):
        return push_error('Expected {"endpoint": ...} as JSON.')
    deleted, _ = PushSubscription.objects.filter(endpoint=endpoint).delete()
    return JsonResponse({"deleted": bool(deleted)})


@cache_control(public=True, max_age=300)
@require_http_methods(["GET", "HEAD"])
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js at the site's root, so its scope is the whole site."""
    script = (settings.BASE_DIR / "static" / "js" / "sw.js").read_text()
    return HttpResponse(script, content_type="text/javascript; charset=utf-8")
