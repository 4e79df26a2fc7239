"""Records are shared with users only (docs/access.md, "Sharing one record"). Group shares can no longer be
made, changed or taken back through the page, the API or the service, so any left from before would be
access nobody can see or manage: they are removed. Each user share stays."""

from django.db import migrations


def remove_group_shares(apps, schema_editor):
    apps.get_model("interception", "InterceptionGroupObjectPermission").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("interception", "0006_history_of_ticks_people_attachments_catalogue")]

    operations = [migrations.RunPython(remove_group_shares, migrations.RunPython.noop)]
