"""PostgreSQL: the message search vector becomes a stored column.

0004 indexed ``to_tsvector('simple', search_text)`` as an expression. A search for a
common word then had to either fetch every match through the GIN index before sorting
by newest, or recompute the vector of every row while walking newest first. A stored
generated column lets PostgreSQL walk the newest messages and test each one cheaply,
and its statistics tell the planner how common each word is (see inbox/search.py).
SQLite keeps its FTS5 table; nothing changes there.

Adding a stored column rewrites inbox_message once (minutes for millions of messages).
"""

from django.db import migrations

PG_FORWARD = (
    "DROP INDEX IF EXISTS inbox_message_search_gin",
    ("ALTER TABLE inbox_message ADD COLUMN search_vector tsvector "
     "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"),
    "CREATE INDEX inbox_message_search_gin ON inbox_message USING GIN (search_vector)",
    "ANALYZE inbox_message",
)
PG_BACKWARD = (
    "DROP INDEX IF EXISTS inbox_message_search_gin",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS search_vector",
    ("CREATE INDEX inbox_message_search_gin ON inbox_message "
     "USING GIN (to_tsvector('simple', search_text))"),
)


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0005_learned_router_corrections"),
    ]

    operations = [
        migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD)),
    ]
