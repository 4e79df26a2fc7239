from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import token_issue


class Command(BaseCommand):
    help = (
        "Issue a new API token for USERNAME and print it. It is shown this once: only its digest is "
        "stored. It expires after API_TOKEN_TTL_DAYS (default 30) or --expires-days."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until the token expires (1 to 366)."
        )

    def handle(self, *args, username, expires_days=None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            key = token_issue(actor=None, user=user, expires_days=expires_days)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(key)
        self.stderr.write("Store this token now: it cannot be shown again.")
