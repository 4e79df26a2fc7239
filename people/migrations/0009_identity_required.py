import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0008_identity_per_person")]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="identity",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="appearances", to="people.identity"
            ),
        ),
    ]
