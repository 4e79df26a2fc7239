from django.db import migrations


def reword(apps, schema_editor):
    """Gender-neutral English texts (only where a flag still has the old default wording, so a country's own
    edit in the admin is kept) and the Nepali text of every default flag that has none yet."""
    from interception.catalogue import NEUTRAL_TEXTS, OLD_TEXTS, RED_FLAGS_NE

    RedFlag = apps.get_model("interception", "RedFlag")
    for flag in RedFlag.objects.filter(code__in=set(NEUTRAL_TEXTS) | set(RED_FLAGS_NE)):
        changed = []
        if flag.code in NEUTRAL_TEXTS and flag.text == OLD_TEXTS.get(flag.code):
            flag.text = NEUTRAL_TEXTS[flag.code]
            changed.append("text")
        if not flag.text_ne and flag.code in RED_FLAGS_NE:
            flag.text_ne = RED_FLAGS_NE[flag.code]
            changed.append("text_ne")
        if changed:
            flag.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("interception", "0009_whole_record")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
