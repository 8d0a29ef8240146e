"""Journal notes are append-only: on PostgreSQL a trigger rejects every UPDATE of a note.

DELETE stays possible only as a cascade of the retention purge that removes a whole record (its own
audited path); a correction is always a new note that references the old one.
"""

from typing import Any

from django.db import migrations

TABLES = ("cases_policenote", "cases_socialnote", "cases_probationnote")

CREATE = """
CREATE OR REPLACE FUNCTION journal_note_reject_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal notes are append-only (% refused); write a correction instead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION journal_note_reject_update();\n"
    for table in TABLES
)

DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS journal_note_reject_update();\n"
)


def _run(sql: str) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_sections_consent_shares")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
