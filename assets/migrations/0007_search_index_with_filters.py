"""One GIN index answers a search with its owner and module filters together.

btree_gin lets plain columns sit in a GIN index beside the search document, so PostgreSQL
intersects all of them inside one index scan instead of fetching every row that has the
words and filtering afterwards. (The kind is left out: nearly everything is an image, and a
value that common only makes the index scan longer.) It replaces the index on the
document alone. Other databases skip both steps.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS asset_owner_search_gin ON assets_asset "
    "USING gin (owner_id, source_module, search_vector)"
)
OLD = "CREATE INDEX IF NOT EXISTS asset_search_vector_gin ON assets_asset USING gin (search_vector)"


# The library's tag filter now also asks the index for the tag's words, so every tagged
# asset's document must carry its tags (the documents built in 0003 did not).
TAGGED_DOCUMENTS = """
UPDATE assets_asset a SET search_vector =
    setweight(to_tsvector('english', coalesce(a.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(a.prompt, '')), 'B')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.name, ' ') FROM assets_assettag l
        JOIN assets_tag t ON t.id = l.tag_id WHERE l.asset_id = a.id), '')), 'C')
    || setweight(to_tsvector('english', coalesce(a.model, '') || ' ' || coalesce(a.provider, '')), 'D')
WHERE EXISTS (SELECT 1 FROM assets_assettag l WHERE l.asset_id = a.id)
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TAGGED_DOCUMENTS)
        schema_editor.execute(CREATE)
        schema_editor.execute("DROP INDEX IF EXISTS asset_search_vector_gin")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD)
        schema_editor.execute("DROP INDEX IF EXISTS asset_owner_search_gin")


class Migration(migrations.Migration):
    dependencies = [("assets", "0006_search_vocabulary")]

    operations = [
        BtreeGinExtension(),
        migrations.RunPython(forwards, backwards),
    ]
