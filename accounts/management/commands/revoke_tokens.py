from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import token_id, tokens_active, tokens_revoke


class Command(BaseCommand):
    help = (
        "Revoke the API tokens of USERNAME: all of them, or one with --token ID (the id shown by --list "
        "and in the admin). Logged in the access log (token.revoke)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--token", help="Revoke only the token with this id (its first 8 characters).")
        parser.add_argument(
            "--list", dest="list_only", action="store_true", help="List the user's tokens; revoke nothing."
        )

    def handle(self, *args, username, token=None, list_only=False, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        tokens = list(tokens_active(user))
        if list_only:
            for t in tokens:
                expiry = t.expiry.isoformat() if t.expiry else "never"
                self.stdout.write(f"{token_id(t)}  created {t.created:%Y-%m-%d %H:%M}  expires {expiry}")
            return
        if token is not None:
            tokens = [t for t in tokens if token_id(t) == token.strip()[:8]]
            if not tokens:
                raise CommandError(f"{username} has no token with id {token!r}.")
            revoked = tokens_revoke(actor=None, user=user, tokens=tokens)
        else:
            revoked = tokens_revoke(actor=None, user=user)
        self.stdout.write(f"Revoked {revoked} token(s) of {username}.")
