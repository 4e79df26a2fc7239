"""A GIN index (jsonb_path_ops) on the events' details, so containment (`details @> {"ids": [12]}`,
`{"stations": ["BHW"]}`) stays an index scan: the per-record filter, the record's panel and a station
auditor's scope find list and bulk events by the records and stations they name (docs/audit.md)."""

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accessevent",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["details"], name="audit_event_details_gin", opclasses=["jsonb_path_ops"]
            ),
        ),
    ]
