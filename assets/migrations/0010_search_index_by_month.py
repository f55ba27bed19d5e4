"""The search index also holds each asset's month, so the newest matches can be found first.

A search for common words matches thousands of assets in a large archive, and the index
returns matches in no useful order: every one had to be read and sorted by date before the
first page could show. With the month (of ``created_at`` in UTC) in the same GIN index, the
library asks for the newest months first and reads only the matches of the months it shows;
queries that name no month use the index as before. It replaces the index of 0007. Other
databases skip both steps.
"""

from django.db import migrations

# Kept in step with ``assets.selectors.MONTH_SQL`` (the planner matches the expression).
MONTH = (
    "((date_part('year', created_at AT TIME ZONE 'UTC') * 12"
    " + date_part('month', created_at AT TIME ZONE 'UTC'))::integer)"
)
CREATE = (
    "CREATE INDEX IF NOT EXISTS asset_search_month_gin ON assets_asset "
    f"USING gin (owner_id, source_module, {MONTH}, search_vector)"
)
OLD = (
    "CREATE INDEX IF NOT EXISTS asset_owner_search_gin ON assets_asset "
    "USING gin (owner_id, source_module, search_vector)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute("DROP INDEX IF EXISTS asset_owner_search_gin")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD)
        schema_editor.execute("DROP INDEX IF EXISTS asset_search_month_gin")


class Migration(migrations.Migration):
    dependencies = [("assets", "0009_asset_palettes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
