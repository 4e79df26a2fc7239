from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.permissions_doc import render, splice


class Command(BaseCommand):
    help = "Print the permission table (accounts/roles.py) as Markdown; --write updates docs/permissions.md."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true")

    def handle(self, *args, write, **options):
        if not write:
            self.stdout.write(render())
            return
        path = Path(settings.BASE_DIR) / "docs" / "permissions.md"
        path.write_text(splice(path.read_text()))
        self.stdout.write(f"Updated {path}")
