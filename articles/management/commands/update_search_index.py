"""Recompute every story's search vector (PostgreSQL).

Saving a story keeps its vector current; run this after loading stories
without save() (bulk imports, raw SQL) or after changing the search weights.
"""

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from articles.models import Article
from articles.search import update_search_vectors


class Command(BaseCommand):
    help = "Recompute the full-text search vector of every story (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5_000)

    def handle(self, *args, batch: int, **options) -> None:
        if connections["default"].vendor != "postgresql":
            self.stdout.write("Nothing to do: search vectors are PostgreSQL only.")
            return
        pks = list(Article.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), batch):
            update_search_vectors(pks[start : start + batch])
        self.stdout.write(f"Updated the search vectors of {len(pks)} stories.")
