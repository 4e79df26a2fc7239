"""Red-flag ticks get a model of their own with a points snapshot (docs/history.md).

The plain many-to-many table `interception_interception_red_flags` becomes the table of
`InterceptionRedFlag` without being copied: only Django's state changes, then a `points` column is
added. Existing ticks get the catalogue's current points, and each record's `red_flag_score` is set to
the sum of its ticks, so the score shown always equals the sum of the points shown beside it.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def snapshot_current_points(apps, schema_editor):
    Tick = apps.get_model("interception", "InterceptionRedFlag")
    RedFlag = apps.get_model("interception", "RedFlag")
    Interception = apps.get_model("interception", "Interception")
    ticks, flags, records = Tick._meta.db_table, RedFlag._meta.db_table, Interception._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ticks} t SET points = f.points FROM {flags} f WHERE f.id = t.redflag_id"  # noqa: S608
        )
        cursor.execute(
            f"""UPDATE {records} i SET red_flag_score = s.score
            FROM (
                SELECT i2.id, coalesce(sum(t.points), 0) AS score
                FROM {records} i2 LEFT JOIN {ticks} t ON t.interception_id = i2.id
                GROUP BY i2.id
            ) s
            WHERE s.id = i.id AND i.red_flag_score <> s.score"""  # noqa: S608
        )


class Migration(migrations.Migration):
    dependencies = [
        ("interception", "0004_interception_recent_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="InterceptionRedFlag",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "interception",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="flag_ticks",
                                to="interception.interception",
                            ),
                        ),
                        (
                            "red_flag",
                            models.ForeignKey(
                                db_column="redflag_id",
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="ticks",
                                to="interception.redflag",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "interception_interception_red_flags",
                        "ordering": ["id"],
                        "unique_together": {("interception", "red_flag")},
                    },
                ),
                migrations.AlterField(
                    model_name="interception",
                    name="red_flags",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="interceptions",
                        through="interception.InterceptionRedFlag",
                        to="interception.redflag",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="interceptionredflag",
            name="points",
            field=models.PositiveSmallIntegerField(
                default=0, validators=[django.core.validators.MaxValueValidator(100)]
            ),
            preserve_default=False,
        ),
        migrations.RunPython(snapshot_current_points, migrations.RunPython.noop),
    ]
