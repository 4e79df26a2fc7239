"""The "suspect phone seen before" rule becomes "suspect seen again" (docs/alerts.md, rule 2): the choices
change, and stored notifications and preferences move from the old rule value to the new one."""

from django.db import migrations, models

OLD, NEW = "suspect_phone", "suspect_seen_again"

CHOICES = [
    ("high_risk", "High-risk interception"),
    ("suspect_seen_again", "Suspect seen again"),
    ("export_finished", "Export ready or failed"),
    ("security", "Repeated failed logins or denied accesses"),
]


def rename(old: str, new: str):
    def run(apps, schema_editor):
        for name in ("Notification", "NotificationPreference"):
            apps.get_model("alerts", name).objects.filter(rule=old).update(rule=new)

    return run


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="notification", name="rule", field=models.CharField(choices=CHOICES, max_length=32)
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="rule",
            field=models.CharField(choices=CHOICES, max_length=32),
        ),
        migrations.RunPython(rename(OLD, NEW), rename(NEW, OLD)),
    ]
