from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import token_issue


class Command(BaseCommand):
    help = "Print an API token for USERNAME (the existing one if it has one)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            self.stdout.write(token_issue(actor=None, user=user))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
