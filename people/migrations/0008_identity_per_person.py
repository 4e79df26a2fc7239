"""Every existing appearance (Person) gets an identity of its own (no two records were linked before), the
record it is on (`source`, `record_id`), the record's date, and the search keys of its name
(docs/people.md "Migrating existing data"). Nothing is merged: matching is a human's decision."""

from django.db import migrations


def forwards(apps, schema_editor):
    from people.names import keys

    with schema_editor.connection.cursor() as cursor:
        # One identity per person, with the person's id (the sequence moves past them).
        cursor.execute(
            """
            INSERT INTO people_identity (id, gender, birth_year, merged_into_id, created_at, updated_at)
            SELECT p.id, p.gender, NULL, NULL, p.created_at, now() FROM people_person p
            """
        )
        cursor.execute("UPDATE people_person SET identity_id = id")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('people_identity', 'id'),"
            " COALESCE((SELECT MAX(id) FROM people_identity), 1))"
        )
        cursor.execute(
            """
            UPDATE people_person p
               SET source = 'interception', record_id = i.interception_id, recorded_on = x.occurred_on
              FROM interception_interceptee i JOIN interception_interception x ON x.id = i.interception_id
             WHERE i.person_id = p.id
            """
        )
        cursor.execute(
            """
            UPDATE people_identity d SET birth_year = EXTRACT(YEAR FROM p.recorded_on)::int - p.age
              FROM people_person p
             WHERE p.identity_id = d.id AND p.age IS NOT NULL AND p.recorded_on IS NOT NULL
            """
        )
        cursor.execute("SELECT id, full_name FROM people_person")
        rows = [(pk, key) for pk, name in cursor.fetchall() for key in keys(name)]
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            cursor.execute(
                "INSERT INTO people_namekey (person_id, key) SELECT * FROM unnest(%s::bigint[], %s::text[])",
                [[pk for pk, _ in chunk], [key for _, key in chunk]],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_identities"),
        ("interception", "0012_number_trigram_index"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
