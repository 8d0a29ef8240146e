"""Backup drill: `make backup` dumps the test database (demo data in it), `make restore` loads the archive into
a fresh database, and every row of every installed app's tables is found there, unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from psycopg import sql

from cases.models import Person
from gvi.audit.models import AuditEvent
from gvi.mapping.models import Group

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
TOOLS = ("make", "pg_dump", "pg_restore")


def _url(settings_dict: dict[str, Any], name: str) -> str:
    """A libpq URL for database `name` on the test database's server, as the same user."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host, port = settings_dict.get("HOST") or "", settings_dict.get("PORT") or ""
    if host.startswith("/"):  # a Unix socket folder goes in the query string
        return f"postgres://{credentials}/{quote(name)}?host={quote(host, safe='')}" + (f"&port={port}" if port else "")
    return f"postgres://{credentials}{host}{f':{port}' if port else ''}/{quote(name)}"


def _make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _tables() -> dict[str, str]:
    """Table name -> primary-key column, for every concrete table of every installed app (m2m tables too)."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.pk is None or not meta.pk.column:
            continue
        found[meta.db_table] = meta.pk.column
    return found


def _fingerprint(url: str, tables: dict[str, str]) -> dict[str, Any]:
    """Per table: row count, checksum of the primary keys and checksum of the rows' full text; the
    sequences' positions; the user triggers (the audit trail's append-only guard)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        present = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        rows: dict[str, Any] = {}
        for table, pk in sorted(tables.items()):
            if table not in present:
                rows[table] = "missing"
                continue
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg({pk}::text, ',' ORDER BY {pk}), '')),"
                " md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {pk}), '')) FROM {table} AS t"
            ).format(pk=sql.Identifier(pk), table=sql.Identifier(table))
            rows[table] = conn.execute(query).fetchone()
        sequences: dict[str, int | None] = dict(
            conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'").fetchall()
        )
        triggers = sorted(
            conn.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"
            ).fetchall()
        )
    return {"rows": rows, "sequences": sequences, "triggers": triggers}


@pytest.mark.postgres
@pytest.mark.timeout(90)
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL): pg_dump / pg_restore drill")
@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in TOOLS), reason=f"needs {', '.join(TOOLS)} on PATH (postgresql-client)"
)
@pytest.mark.django_db(transaction=True)  # the demo rows are committed, so pg_dump sees them
def test_backup_restores_every_row_into_a_fresh_database(world: dict[str, Any], tmp_path: Path) -> None:
    source = connection.settings_dict
    source_url = _url(source, source["NAME"])
    tables = _tables()
    archive = tmp_path / "drill.dump"

    backup = _make("backup", f"BACKUP_FILE={archive}", env={"DATABASE_URL": source_url})
    assert backup.returncode == 0, backup.stderr
    assert archive.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not archive.with_name(archive.name + ".partial").exists()

    fresh = f"{source['NAME'][:40]}_drill_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{fresh}" TEMPLATE template0')
    try:
        restore = _make(
            "restore",
            f"BACKUP_FILE={archive}",
            env={"RESTORE_DATABASE_URL": _url(source, fresh), "DATABASE_URL": "postgres://nobody@invalid/unused"},
        )
        assert restore.returncode == 0, restore.stderr

        expected = _fingerprint(source_url, tables)
        restored = _fingerprint(_url(source, fresh), tables)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')

    # The drill is only worth something if the source holds the demo: people, groups, an audit trail.
    counts = {table: row[0] for table, row in expected["rows"].items()}
    for model in (Person, Group, AuditEvent):
        assert counts[model._meta.db_table] > 0, model._meta.label
    assert sum(counts.values()) > 1000
    assert any(table == AuditEvent._meta.db_table for table, _name in expected["triggers"])
    missing = [table for table, row in restored["rows"].items() if row != expected["rows"][table]]
    assert missing == [], f"tables that differ after the restore: {missing}"
    assert restored == expected


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_backup_and_restore_refuse_without_postgresql_or_an_archive(tmp_path: Path) -> None:
    backup = _make("backup", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert backup.returncode != 0
    assert "PostgreSQL only" in backup.stderr

    restore = _make("restore", env={"DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused"})
    assert restore.returncode != 0
    assert "BACKUP_FILE" in restore.stderr

    absent = tmp_path / "absent.dump"
    restore = _make("restore", f"BACKUP_FILE={absent}", env={"DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused"})
    assert restore.returncode != 0
    assert "does not exist" in restore.stderr
    assert list(tmp_path.iterdir()) == []
