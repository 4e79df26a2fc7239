from django.db import migrations


def load(apps, schema_editor):
    """The default home-situation alarms, for every country (docs/cases.md "Victim interview"). Idempotent:
    an alarm already there (by code) is left as it is."""
    from cases.alarm_catalogue import load_home_alarms

    load_home_alarms(apps.get_model("cases", "HomeAlarm"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_alarms_of_every_country_referral_revoke_reason")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
