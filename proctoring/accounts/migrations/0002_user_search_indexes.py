"""Indexes for the case-insensitive prefix search of users (the staff list of attempts).

Django's ``istartswith`` is ``UPPER(col::text) LIKE UPPER('x%')`` on PostgreSQL, which an
expression index with ``text_pattern_ops`` serves, and ``col LIKE 'x%' ESCAPE '\\'`` on SQLite,
which a ``NOCASE`` index serves.
"""

from django.db import migrations

COLUMNS = ("username", "email")


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for column in COLUMNS:
        name = f"accounts_user_{column}_ci"
        if vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON auth_user (UPPER("{column}"::text) text_pattern_ops)'
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON auth_user ("{column}" COLLATE NOCASE)'
            )


def drop(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS accounts_user_{column}_ci")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, drop)]
