from django.db import migrations


def load_catalogue(apps, schema_editor):
    from interception.catalogue import RED_FLAGS

    RedFlag = apps.get_model("interception", "RedFlag")
    for order, (code, group, text, points) in enumerate(RED_FLAGS):
        RedFlag.objects.get_or_create(
            code=code, defaults={"group": group, "text": text, "points": points, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("interception", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
