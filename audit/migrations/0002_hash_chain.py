"""Chain the access log: every event carries the hash of the one before it (see audit/chain.py)."""

import django.utils.timezone
from django.db import migrations, models


def chain_existing_events(apps, schema_editor):
    """Events written before the chain existed (development databases only) are chained in id order."""
    from audit.chain import GENESIS, event_hash

    AccessEvent = apps.get_model("audit", "AccessEvent")
    prev = GENESIS
    rows = AccessEvent.objects.using(schema_editor.connection.alias).order_by("id")
    for event in rows.iterator(chunk_size=2000):
        digest = event_hash(
            prev,
            at=event.at,
            actor_id=event.actor_id,
            actor_username=event.actor_username,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            station_id=event.station_id,
            ip=event.ip,
            user_agent=event.user_agent,
            details=event.details,
        )
        AccessEvent.objects.using(schema_editor.connection.alias).filter(pk=event.pk).update(
            prev_hash=prev, hash=digest
        )
        prev = digest


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accessevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, help_text="hash of the event before", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accessevent",
            name="hash",
            field=models.CharField(
                default="", editable=False, help_text="sha256(prev_hash + content)", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["actor_username"], name="audit_event_actor_name_idx"),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="accessevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("hash__regex", "^[0-9a-f]{64}$"), ("prev_hash__regex", "^[0-9a-f]{64}$")),
                name="audit_event_hashes_are_sha256_hex",
            ),
        ),
    ]
