from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from alerts.sending import send_digest


class Command(BaseCommand):
    help = (
        "Send today's digest of the top stories to confirmed digest subscribers, "
        "in each language; a second run the same day sends nothing."
    )

    def handle(self, *args, **options) -> None:
        day = timezone.localdate()
        for language, _ in settings.LANGUAGES:
            send = send_digest(language, day)
            if send is None:
                self.stdout.write(f"{language}: today's digest was already sent.")
            else:
                self.stdout.write(
                    f"{language}: {send.sent_count} sent, {send.failed_count} failed."
                    + (f" {send.last_error}" if send.last_error else "")
                )
