from django.core.management.base import BaseCommand, CommandError

from accounts.models import Country, Membership, Station, User
from accounts.roles import Role
from accounts.services import role_revoke


class Command(BaseCommand):
    help = (
        "Take ROLE at STATION_CODE (or, with --country, at a country) away from USERNAME: the mirror of "
        "grant_role. Takes effect at the user's next request (and their export files close); audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("station_code", help="Station code, or a country code with --country")
        parser.add_argument("--country", action="store_true", help="STATION_CODE is a country code")

    def handle(self, *args, username, role, station_code, country, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if country:
            place = Country.objects.filter(code=station_code.upper()).first()
            if place is None:
                raise CommandError(f"No country {station_code!r}.")
            where, memberships = f"country {place.code}", Membership.objects.filter(country=place)
        else:
            place = Station.objects.filter(code=station_code.upper()).first()
            if place is None:
                raise CommandError(f"No station {station_code!r}.")
            where, memberships = place.code, Membership.objects.filter(station=place)
        membership = (
            memberships.filter(user=user, role=role).select_related("user", "station", "country").first()
        )
        if membership is None:
            self.stdout.write(f"{username} is not {role} at {where} (nothing to revoke)")
            return
        role_revoke(actor=None, membership=membership)
        self.stdout.write(f"{username} is no longer {role} at {where}")
