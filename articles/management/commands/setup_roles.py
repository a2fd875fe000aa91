from django.core.management.base import BaseCommand

from articles.roles import ADMINISTRATOR, EDITOR, WRITER, setup_roles


class Command(BaseCommand):
    help = (
        f"Create the {WRITER}, {EDITOR} and {ADMINISTRATOR} groups or reset "
        "their permissions (safe to run again)."
    )

    def handle(self, *args, **options) -> None:
        setup_roles()
        self.stdout.write(f"Groups ready: {WRITER}, {EDITOR}, {ADMINISTRATOR}.")
