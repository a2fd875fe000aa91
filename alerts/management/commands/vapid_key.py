from django.core.management.base import BaseCommand

from alerts.push import new_private_key


class Command(BaseCommand):
    help = (
        "Print a new VAPID key for web push. Set it once as VAPID_PRIVATE_KEY on "
        "every app server and keep it: a new key ends every browser's subscription."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"VAPID_PRIVATE_KEY={new_private_key()}")
