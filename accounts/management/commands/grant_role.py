from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Country, Station
from accounts.roles import Role
from accounts.services import role_grant, user_get_or_create


class Command(BaseCommand):
    help = (
        "Give USERNAME a ROLE at STATION_CODE (or, with --country, at every station of a country). "
        "--create-user creates the user; its password comes from NEW_USER_PASSWORD, or is unusable."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("station_code", help="Station code, or a country code with --country")
        parser.add_argument("--country", action="store_true", help="STATION_CODE is a country code")
        parser.add_argument("--create-user", action="store_true")

    def handle(self, *args, username, role, station_code, country, create_user, **options):
        station = place = None
        if country:
            place = Country.objects.filter(code=station_code.upper()).first()
            if place is None:
                raise CommandError(f"No country {station_code!r}.")
        else:
            station = Station.objects.filter(code=station_code.upper()).first()
            if station is None:
                raise CommandError(f"No station {station_code!r}; create it with create_station first.")
        try:
            user, user_created = user_get_or_create(actor=None, username=username, create=create_user)
            _, created = role_grant(actor=None, user=user, role=role, station=station, country=place)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if user_created:
            usable = (
                "with the password from NEW_USER_PASSWORD"
                if user.has_usable_password()
                else "with no usable password"
            )
            self.stdout.write(f"Created user {username} {usable}.")
        where = station.code if station else f"country {place.code}"
        self.stdout.write(f"{username} is {role} at {where}" + ("" if created else " (already was)"))
