"""Legal case numbers: per station and local year, `BHW-L-2026-00012`."""

from datetime import date

from accounts.models import Station

from ..models import LegalCaseCounter


def station_today(station: Station) -> date:
    return station.local_today()


def next_number(station: Station, day: date) -> str:
    """The next legal case number of `station` in the year of `day` (row-locked until the transaction
    ends)."""
    counter, _created = LegalCaseCounter.objects.get_or_create(station=station, year=day.year)
    counter = LegalCaseCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{station.code}-L-{day.year}-{counter.last:05d}"
