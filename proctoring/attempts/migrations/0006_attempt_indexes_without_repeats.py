"""The attempt table without the indexes that repeat others: every status change writes an
indexed column (its status), so PostgreSQL adds an entry to every index of the table.

The exam's and the user's foreign keys lose their own indexes (the composite indexes lead with
them); ``external_id`` keeps an equality index and loses PostgreSQL's pattern index (nothing
searches it by prefix). Only the indexes are dropped: the foreign keys' constraints stay as
they are (Django's own ``AlterField`` would drop and add them back, checking every row).
Backwards, the three plain indexes come back (not the pattern index)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

REPEATED = (
    "attempts_attempt_exam_id_fb6257d4",
    "attempts_attempt_user_id_7c840a6b",
    "attempts_attempt_external_id_69fc9d74",
    "attempts_attempt_external_id_69fc9d74_like",  # PostgreSQL only
)


class Migration(migrations.Migration):
    dependencies = [
        ("attempts", "0005_resume_and_reasons"),
        ("exams", "0003_onboarding_exam"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attempt",
                    name="exam",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attempts",
                        to="exams.exam",
                    ),
                ),
                migrations.AlterField(
                    model_name="attempt",
                    name="external_id",
                    field=models.CharField(blank=True, max_length=255, null=True),
                ),
                migrations.AlterField(
                    model_name="attempt",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exam_attempts",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[f'DROP INDEX IF EXISTS "{name}"' for name in REPEATED],
                    reverse_sql=[
                        'CREATE INDEX "attempts_attempt_exam_id_fb6257d4"'
                        ' ON "attempts_attempt" ("exam_id")',
                        'CREATE INDEX "attempts_attempt_user_id_7c840a6b"'
                        ' ON "attempts_attempt" ("user_id")',
                        'CREATE INDEX "attempts_attempt_external_id_69fc9d74"'
                        ' ON "attempts_attempt" ("external_id")',
                    ],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["external_id"], name="attempt_external_id"),
        ),
    ]
