from django.db import migrations

# The countries whose stations use the default catalogue (docs/cases.md "Victim interview"). A country
# created after this migration gets it with `cases.alarm_catalogue.load_home_alarms`.
COUNTRIES = ("NP", "IN")


def load(apps, schema_editor):
    """The default home-situation alarms for Nepal and India, when those countries exist. Idempotent: an
    alarm a country already has (by code) is left as it is."""
    from cases.alarm_catalogue import load_home_alarms

    Country = apps.get_model("accounts", "Country")
    HomeAlarm = apps.get_model("cases", "HomeAlarm")
    for country in Country.objects.filter(code__in=COUNTRIES):
        load_home_alarms(HomeAlarm, country)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
