from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import station_create


class Command(BaseCommand):
    help = "Create (or update) a station: create_station CODE NAME --country NP [--timezone Asia/Kathmandu]"

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("--country", required=True, help="ISO country code, e.g. NP")
        parser.add_argument("--timezone", default="Asia/Kathmandu")

    def handle(self, *args, code, name, country, timezone, **options):
        try:
            station, created = station_create(
                actor=None, code=code, name=name, country_code=country, timezone=timezone
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} station {station.code} ({station.name}, {station.country.code}, {station.timezone})"
        )
