"""Fill the folded search key of existing persons; on PostgreSQL add a trigram index on it, so that partial
name searches (LIKE '%...%') stay fast at national scale. SQLite searches the same column without it."""

from typing import Any

from django.db import migrations

TRIGRAM = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS person_search_key_trgm ON cases_person USING gin (search_key gin_trgm_ops);
CREATE INDEX IF NOT EXISTS person_alias_name_trgm ON cases_personalias USING gin (lower(name) gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS person_search_key_trgm;
DROP INDEX IF EXISTS person_alias_name_trgm;
"""


def fill(apps: Any, schema_editor: Any) -> None:
    from cases.names import search_key

    person_model = apps.get_model("cases", "Person")
    alias_model = apps.get_model("cases", "PersonAlias")
    aliases: dict[int, list[str]] = {}
    for person_id, name in alias_model.objects.values_list("person_id", "name"):
        aliases.setdefault(person_id, []).append(name)
    for person in person_model.objects.only("id", "given_name", "family_name").iterator():
        key = search_key(person.given_name, person.family_name, *aliases.get(person.pk, []))
        person_model.objects.filter(pk=person.pk).update(search_key=key)


def _trigram(sql: str) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_person_search_merge_subject_access")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(_trigram(TRIGRAM), _trigram(DROP)),
    ]
