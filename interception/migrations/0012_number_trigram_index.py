# Number search by fragment reads a trigram index of UPPER(number) (docs/interceptions.md, "Number search").

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; it does not block writes while a large table
    # is indexed.
    atomic = False

    dependencies = [
        ("interception", "0011_monitors_with_history"),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="interception",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("number"), name="gin_trgm_ops"
                ),
                name="interception_number_trgm",
            ),
        ),
    ]
