"""Loads Nepal's provinces, districts and local levels from the installed `nepali` package.

Codes are stable: the ISO 3166-2 code for a province (NP-P1 … NP-P7), `NP-D-<district slug>` for a
district, `NP-M-<district slug>-<local level slug>` for a local level (docs/places.md). Running it again
updates names and adds what is missing; it never deletes a place (records point at them)."""

from django.db import migrations
from django.utils.text import slugify

PROVINCE_CODES = {
    "Koshi Province": "NP-P1",
    "Madhesh Province": "NP-P2",
    "Bagmati Province": "NP-P3",
    "Gandaki Province": "NP-P4",
    "Lumbini Province": "NP-P5",
    "Karnali Province": "NP-P6",
    "Sudurpaschim Province": "NP-P7",
}


def load(apps, schema_editor):
    from nepali.locations import provinces

    Place = apps.get_model("people", "Place")
    existing = {place.code: place for place in Place.objects.all()}

    def put_level(rows):
        """rows: (code, kind, name, name_ne, parent); creates the new ones in one query."""
        new, placed = [], {}
        for code, kind, name, name_ne, parent in rows:
            place = existing.get(code)
            if place is None:
                place = Place(code=code, country="NP", kind=kind, name=name, name_ne=name_ne, parent=parent)
                new.append(place)
            elif (place.name, place.name_ne) != (name, name_ne):
                place.name, place.name_ne = name, name_ne
                place.save(update_fields=["name", "name_ne"])
            placed[code] = place
        Place.objects.bulk_create(new)
        existing.update(placed)
        return placed

    province_rows, district_rows, municipality_rows = [], [], []
    for province in provinces:
        p_code = PROVINCE_CODES[province.name]
        province_rows.append((p_code, "province", province.name, province.name_nepali, None))
    placed = put_level(province_rows)
    for province in provinces:
        for district in province.districts:
            parent = placed[PROVINCE_CODES[province.name]]
            d_code = f"NP-D-{slugify(district.name)}"
            district_rows.append((d_code, "district", district.name, district.name_nepali, parent))
    placed = put_level(district_rows)
    for province in provinces:
        for district in province.districts:
            d_slug = slugify(district.name)
            parent = placed[f"NP-D-{d_slug}"]
            for municipality in district.municipalities:
                code = f"NP-M-{d_slug}-{slugify(municipality.name)}"
                municipality_rows.append(
                    (code, "municipality", municipality.name, municipality.name_nepali, parent)
                )
    put_level(municipality_rows)


class Migration(migrations.Migration):
    dependencies = [("people", "0003_place")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
