"""Write the view counts gathered for "Most read" to the database now.

The beacon already does this at most every MOST_READ_FLUSH_SECONDS while
readers are about. With Redis, an operator may also run this from cron or a
systemd timer (say every minute), so quiet periods are flushed too. Without
Redis each worker process holds its own counts, which only it can flush.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from articles import mostread


class Command(BaseCommand):
    help = 'Write the view counts gathered for "Most read" to the database.'

    def handle(self, *args, **options) -> None:
        if not settings.REDIS_URL:
            self.stderr.write(
                "REDIS_URL is not set: each web worker keeps its own counts "
                "and flushes them itself; nothing to do here."
            )
            return
        rows = mostread.flush()
        self.stdout.write(f"Wrote the views of {rows} story days.")
