from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0003_cases_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exportjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("interceptions", "Interceptions"),
                    ("persons", "People on interceptions"),
                    ("cases", "Victim case files"),
                    ("legal_cases", "Legal cases (one row per charge)"),
                ],
                max_length=20,
            ),
        ),
    ]
