"""Queue indexes for keyset pagination, SLA due indexes, and message full-text search.

Search follows the archive (townsquare/archive/search.py): each message keeps a
normalised ``search_text``; SQLite indexes it in an external-content FTS5 table kept in
sync by triggers (so every write path, bulk loads included, stays indexed), PostgreSQL in
a GIN index on ``to_tsvector('simple', search_text)``.
"""

from django.db import migrations, models

# Literal SQL (no formatting): the FTS5 table is inbox_message_fts.
SQLITE_CREATE = (
    ("CREATE VIRTUAL TABLE inbox_message_fts USING fts5(search_text, "
     "content='inbox_message', content_rowid='id', tokenize='unicode61 remove_diacritics 0')"),
    ("CREATE TRIGGER inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN "
     "INSERT INTO inbox_message_fts(rowid, search_text) VALUES (new.id, new.search_text); "
     "END"),
    ("CREATE TRIGGER inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN "
     "INSERT INTO inbox_message_fts(inbox_message_fts, rowid, search_text) "
     "VALUES ('delete', old.id, old.search_text); END"),
    ("CREATE TRIGGER inbox_message_fts_update AFTER UPDATE OF search_text ON inbox_message "
     "BEGIN INSERT INTO inbox_message_fts(inbox_message_fts, rowid, search_text) "
     "VALUES ('delete', old.id, old.search_text); "
     "INSERT INTO inbox_message_fts(rowid, search_text) VALUES (new.id, new.search_text); "
     "END"),
    "INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('rebuild')",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS inbox_message_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_message_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_message_fts_update",
    "DROP TABLE IF EXISTS inbox_message_fts",
)
GIN_CREATE = ("CREATE INDEX inbox_message_search_gin ON inbox_message "
              "USING GIN (to_tsvector('simple', search_text))")


def fill_search_text(apps, schema_editor):
    """Messages stored before search existed get their search text."""
    from townsquare.archive.search import text_for_search

    message_model = apps.get_model("inbox", "Message")
    rows = message_model.objects.filter(search_text="").exclude(text="")
    for pk, text in rows.values_list("pk", "text").iterator(chunk_size=1000):
        message_model.objects.filter(pk=pk).update(search_text=text_for_search(text))


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute(GIN_CREATE)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS inbox_message_search_gin")


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0003_rating"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="search_text",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["priority", "last_message_at", "id"],
                               name="inbox_queue_order"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["organisation", "status", "priority", "last_message_at",
                                       "id"], name="inbox_queue_org_status"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["team", "status", "priority", "last_message_at", "id"],
                               name="inbox_queue_team_status"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(condition=models.Q(("is_emergency", True)),
                               fields=["organisation", "status"], name="inbox_emergency"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(condition=models.Q(("in_triage", True)),
                               fields=["organisation", "status"], name="inbox_triage_org"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(condition=models.Q(("sla_first_response_due__isnull", False)),
                               fields=["sla_first_response_due"], name="inbox_sla_first_due"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(condition=models.Q(("sla_resolution_due__isnull", False)),
                               fields=["sla_resolution_due"], name="inbox_sla_resolution_due"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["conversation", "id"], name="inbox_message_conv_id"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_index, drop_index),
    ]
