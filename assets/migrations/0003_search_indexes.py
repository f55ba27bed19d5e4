"""PostgreSQL search support: pg_trgm, GIN indexes, and filling the new columns.

On other databases the SQL steps do nothing (search falls back to plain lookups there).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    (
        "asset_search_vector_gin",
        "CREATE INDEX IF NOT EXISTS asset_search_vector_gin ON assets_asset USING gin (search_vector)",
    ),
    (
        "asset_title_trgm_gin",
        "CREATE INDEX IF NOT EXISTS asset_title_trgm_gin ON assets_asset USING gin (title gin_trgm_ops)",
    ),
]


def _is_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def create_indexes(apps, schema_editor):
    if not _is_postgres(schema_editor):
        return
    for _, sql in INDEXES:
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    if not _is_postgres(schema_editor):
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backfill(apps, schema_editor):
    """Set ``root`` on existing versions and build their search documents."""
    Asset = apps.get_model("assets", "Asset")
    parents = dict(Asset.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    for pk in parents:
        root, seen = parents[pk], {pk}
        while root in parents and root not in seen:
            seen.add(root)
            root = parents[root]
        Asset.objects.filter(pk=pk).update(root_id=root)
    if _is_postgres(schema_editor):
        schema_editor.execute(
            """
            UPDATE assets_asset SET search_vector =
                setweight(to_tsvector('english', coalesce(title, '')), 'A')
                || setweight(to_tsvector('english', coalesce(prompt, '')), 'B')
                || setweight(to_tsvector('english', coalesce(model, '') || ' ' || coalesce(provider, '')), 'D')
            """
        )


class Migration(migrations.Migration):
    dependencies = [("assets", "0002_library")]

    operations = [
        # A no-op on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
