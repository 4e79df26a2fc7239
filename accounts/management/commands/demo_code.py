from django.core.management.base import BaseCommand, CommandError

from accounts.mfa import demo_code
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Print the current two-step login code of a demo user (only for the demo authenticator of seed_demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        code = demo_code(user) if user else None
        if code is None:
            raise CommandError(
                f"{username!r} has no demo authenticator (only seed_demo's demo users have one)."
            )
        self.stdout.write(code)
