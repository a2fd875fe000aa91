"""Building and sending the alerts' e-mails.

One SMTP connection (Django's `get_connection()`) carries a batch of
ALERT_EMAIL_BATCH_SIZE messages, one message per subscriber so each gets
their own unsubscribe link; then it is closed and the next batch opens a
fresh one. A recipient the server refuses (SMTPRecipientsRefused, a 5xx
answer) is counted failed and the sending goes on; a broken or refused
connection is retried ALERT_EMAIL_RETRIES times with a growing pause, then
the rest is counted failed. Nobody is ever unsubscribed by a failure: every
outcome is in the EmailSend row.

Over one connection to an SMTP server on the same machine this sends some
650 messages a second (measured against aiosmtpd), so 5,000 subscribers take
seconds; a distant server costs a few round trips per message (at 50 ms,
some 5 a second: 5,000 in a quarter of an hour), which is why a local relay
(Postfix) that queues and delivers in parallel is the way to thousands. The
request that starts a send returns at once; the work is one background
thread (or `manage.py send_digest`).
"""

import logging
import smtplib
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import EmailSend, EmailSubscriber
from .tokens import confirm_value

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def unsubscribe_url(subscriber: EmailSubscriber) -> str:
    with translation.override(subscriber.language):
        return absolute(reverse("alerts:unsubscribe", args=[subscriber.token]))


def message(
    subscriber: EmailSubscriber,
    subject: str,
    template: str,
    context: dict,
    *,
    list_mail: bool = True,
) -> EmailMultiAlternatives:
    """One subscriber's message: a plain-text part and an HTML part, in the
    subscriber's language, with the one-click unsubscribe headers (RFC 8058)
    on alerts and digests."""
    with translation.override(subscriber.language):
        context = {
            **context,
            "subscriber": subscriber,
            "unsubscribe_url": unsubscribe_url(subscriber),
            "site_url": settings.SITE_URL,
            "site_name": settings.SITE_NAME,
        }
        text = render_to_string(f"alerts/email/{template}.txt", context)
        html = render_to_string(f"alerts/email/{template}.html", context)
    headers = {}
    if list_mail:
        headers = {
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    email = EmailMultiAlternatives(
        subject, text, to=[subscriber.email], headers=headers
    )
    email.attach_alternative(html, "text/html")
    return email


def deliver(send: EmailSend, messages: list[EmailMultiAlternatives]) -> EmailSend:
    """Send `messages` in batches, retrying outages, and record the outcome."""
    batch_size = max(1, settings.ALERT_EMAIL_BATCH_SIZE)
    pending = list(messages)
    attempt = 0
    while pending:
        batch, rest = pending[:batch_size], pending[batch_size:]
        try:
            with get_connection() as smtp:
                while batch:
                    try:
                        smtp.send_messages([batch[0]])
                    except smtplib.SMTPRecipientsRefused as error:
                        send.failed_count += 1
                        send.last_error = f"Refused {batch[0].to[0]}: {error}"
                        logger.warning("alerts: %s", send.last_error)
                    else:
                        send.sent_count += 1
                    batch.pop(0)
                    attempt = 0
        except (smtplib.SMTPException, OSError) as error:
            send.last_error = f"SMTP server unavailable: {error!r}"
            logger.warning("alerts: %s (attempt %d)", send.last_error, attempt + 1)
            attempt += 1
            if attempt >= settings.ALERT_EMAIL_RETRIES:
                send.failed_count += len(batch) + len(rest)
                break
            time.sleep(settings.ALERT_EMAIL_RETRY_DELAY * 2 ** (attempt - 1))
            rest = batch + rest
        pending = rest
        send.save(update_fields=["sent_count", "failed_count", "last_error"])
    send.finished_at = timezone.now()
    send.save()
    return send


def breaking_subscribers(story):
    return EmailSubscriber.objects.active().filter(
        wants_breaking=True, language=story.language
    )


def send_breaking(send_pk: int) -> EmailSend:
    send = EmailSend.objects.select_related("story").get(pk=send_pk)
    story = send.story
    context = {"story": story, "story_url": absolute(story.get_absolute_url())}
    messages = [
        message(subscriber, story.headline, "breaking", context)
        for subscriber in breaking_subscribers(story)
    ]
    return deliver(send, messages)


def digest_stories(language: str) -> list:
    """The front page's top stories of the last 24 hours: the lead first."""
    from articles.frontpage import top_of_page

    top = top_of_page(language)
    since = timezone.now() - timedelta(hours=24)
    stories = [story for story in [top["lead"], *top["top_stories"]] if story]
    return [story for story in stories if story.published_at >= since]


def send_digest(language: str, day) -> EmailSend | None:
    """Today's digest in `language`, once: the EmailSend row for the day
    (unique per language and day) is claimed first, so a second run, or a
    second server, sends nothing."""
    try:
        with transaction.atomic():
            send = EmailSend.objects.create(
                kind=EmailSend.Kind.DIGEST, language=language, day=day
            )
    except IntegrityError:
        return None
    stories = digest_stories(language)
    subscribers = EmailSubscriber.objects.active().filter(
        wants_digest=True, language=language
    )
    if not stories:
        send.last_error = "No top stories in the last 24 hours."
        send.finished_at = timezone.now()
        send.save()
        return send
    with translation.override(language):
        subject = translation.gettext("Today's top stories")
    messages = [
        message(subscriber, subject, "digest", {"stories": stories})
        for subscriber in subscribers
    ]
    return deliver(send, messages)


def send_confirmation(send_pk: int, subscriber_pk: int, wants: dict) -> EmailSend:
    send = EmailSend.objects.get(pk=send_pk)
    subscriber = EmailSubscriber.objects.get(pk=subscriber_pk)
    with translation.override(subscriber.language):
        confirm_url = absolute(
            reverse("alerts:confirm", args=[confirm_value(subscriber, wants)])
        )
        subject = translation.gettext("Confirm your e-mail alerts")
    email = message(
        subscriber,
        subject,
        "confirm",
        {"confirm_url": confirm_url},
        list_mail=False,
    )
    return deliver(send, [email])


def in_background(function, *args) -> None:
    """Run `function(*args)` in a thread once the current transaction is
    committed, so the request answers at once; the thread closes its own
    database connection."""

    def run() -> None:
        try:
            function(*args)
        except Exception:
            logger.exception("alerts: sending failed")
        finally:
            connection.close()

    def start() -> None:
        threading.Thread(target=run, name="alerts-send").start()

    transaction.on_commit(start)
