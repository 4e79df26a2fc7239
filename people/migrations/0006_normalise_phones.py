"""Stores every existing Person.phone that parses as a phone number in E.164, with the country of the
person's station as the default region ("9811111111" at a Nepal station becomes "+9779811111111").
Values that do not parse stay as they were typed (docs/places.md "Phones")."""

import re

from django.db import migrations

_ALLOWED = re.compile(r"^[\d\s+()\-./]*$")


def normalise(apps, schema_editor):
    import phonenumbers

    Person = apps.get_model("people", "Person")
    changed = []
    rows = (
        Person.objects.exclude(phone="")
        .select_related("station__country")
        .only("id", "phone", "station__country__code")
    )
    for person in rows.iterator(chunk_size=2000):
        text = person.phone.strip()
        if not _ALLOWED.match(text):
            continue
        try:
            number = phonenumbers.parse(text, (person.station.country.code or "NP").upper())
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != person.phone:
            person.phone = e164
            changed.append(person)
        if len(changed) >= 2000:
            Person.objects.bulk_update(changed, ["phone"])
            changed = []
    if changed:
        Person.objects.bulk_update(changed, ["phone"])


class Migration(migrations.Migration):
    dependencies = [("people", "0005_person_address_place_nationality"), ("accounts", "0001_initial")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
