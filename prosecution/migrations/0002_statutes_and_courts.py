"""The default statute catalogue and courts of Nepal and India (prosecution/statutes.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from prosecution.statutes import seed

    seed(
        apps.get_model("accounts", "Country"),
        apps.get_model("prosecution", "Statute"),
        apps.get_model("prosecution", "Court"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_language"),
        ("prosecution", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
