"""API tokens moved to django-rest-knox, which keeps only a digest. The old table of
rest_framework.authtoken held every token in clear: drop it, so no copy of a usable token stays in the
database (users are issued new tokens with `manage.py issue_token`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_station_history")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token CASCADE", reverse_sql=migrations.RunSQL.noop),
    ]
