"""Bulk writing for the national-scale data set: rows go to the database in large batches (PostgreSQL COPY,
`bulk_create` elsewhere), ids are reserved ahead so that rows can name each other before they are written, and
grants are written as the very rows `gvi.access.grant()` would have inserted, without its audit event."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import Permission
from django.db import connection, models
from django.db.models import Max
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from gvi import access

# A grantee as the grant tables name it: ("user", staff id) or ("group", auth group id of a team or agency).
Grantee = tuple[str, int]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class Stats:
    """Rows written per model and seconds per stage, for the summary the command prints."""

    def __init__(self) -> None:
        self.rows: Counter[str] = Counter()
        self.deleted: Counter[str] = Counter()
        self.stages: list[tuple[str, float]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.stages.append((name, time.perf_counter() - started))


class Table:
    """The rows of one model, written in batches. `columns` are attnames; every other concrete field gets its
    default once (a callable default such as `timezone.now` is evaluated once per table, like a batch)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], *, batch: int, stats: Stats) -> None:
        self.model = model
        self.batch = batch
        self.stats = stats
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model._meta.label}: no such fields {sorted(unknown)}")
        self.columns = list(columns)
        rest = [f for name, f in fields.items() if name not in columns and not f.primary_key]
        if any(isinstance(f, models.JSONField) for f in rest):
            raise ValueError(f"{model._meta.label}: give JSON fields explicitly")
        self.fixed_names = [f.attname for f in rest]
        self.fixed_values = tuple(f.get_default() for f in rest)
        # Concrete fields always have a column (the stubs allow None).
        self.db_columns = [str(fields[name].column) for name in self.columns] + [str(f.column) for f in rest]
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self.rows.append(values)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if is_postgres():
            self._copy()
        else:
            names = self.columns + self.fixed_names
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(names, row + self.fixed_values, strict=True))) for row in self.rows],
                batch_size=500,
            )
        self.stats.rows[self.model._meta.label] += len(self.rows)
        self.rows = []

    def _copy(self) -> None:
        quoted = ", ".join(connection.ops.quote_name(column) for column in self.db_columns)
        sql = f"COPY {connection.ops.quote_name(self.model._meta.db_table)} ({quoted}) FROM STDIN"
        with connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
            fixed = self.fixed_values
            for row in self.rows:
                copy.write_row(row + fixed)


class Ids:
    """Ids reserved ahead of writing: the rows of one model get consecutive ids from the table's sequence."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def reserve(self, model: type[models.Model], count: int) -> range:
        if count <= 0:
            return range(0)
        if is_postgres():
            table = model._meta.db_table
            column = model._meta.pk.column
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s)",
                    [table, column, table, column, count - 1],
                )
                last = cursor.fetchone()[0]
            return range(last - count + 1, last + 1)
        if model not in self._next:
            self._next[model] = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        first = self._next[model]
        self._next[model] = first + count
        return range(first, first + count)


class Grants:
    """Grant rows in guardian's direct foreign-key tables, exactly those `access.grant` / `grant_to_owner` write
    (no expiry); each object's rows are de-duplicated as the unique constraint and `ignore_conflicts` do there."""

    def __init__(self, *, batch: int, stats: Stats) -> None:
        self.batch = batch
        self.stats = stats
        self._tables: dict[type[models.Model], Table] = {}
        self._permissions: dict[tuple[type[models.Model], str], int] = {}
        self._by_kind: dict[tuple[type[models.Model], str], Table] = {}

    def _permission(self, model: type[models.Model], action: str) -> int:
        key = (model, action)
        if key not in self._permissions:
            self._permissions[key] = Permission.objects.get(
                content_type__app_label=model._meta.app_label, codename=access.codename(model, action)
            ).pk
        return self._permissions[key]

    def _table(self, model: type[models.Model], kind: str) -> Table:
        """The user or group grant table of a root model (guardian's look-up is slow: asked once per model)."""
        key = (model, kind)
        if key not in self._by_kind:
            if kind == "user":
                grant_model, column = get_user_obj_perms_model(model), "user_id"  # type: ignore[arg-type]
            else:
                grant_model, column = get_group_obj_perms_model(model), "group_id"  # type: ignore[arg-type]
            self._tables[grant_model] = Table(
                grant_model, ["content_object_id", "permission_id", column], batch=self.batch, stats=self.stats
            )
            self._by_kind[key] = self._tables[grant_model]
        return self._by_kind[key]

    def give(self, model: type[models.Model], obj_id: int, grants: Iterable[tuple[Grantee, Iterable[str]]]) -> None:
        """All of one object's grants: (grantee, actions) pairs, as the service's calls would make them."""
        if model._meta.label_lower not in access.ROOT_MODELS:
            raise ValueError(f"{model._meta.label_lower} is not a root object")
        seen: set[tuple[str, int, int]] = set()
        for (kind, grantee_id), actions in grants:
            for action in actions:
                key = (kind, grantee_id, self._permission(model, action))
                if key not in seen:
                    seen.add(key)
                    self._table(model, kind).add(obj_id, key[2], grantee_id)

    def flush(self) -> None:
        for table in self._tables.values():
            table.flush()

    @property
    def tables(self) -> list[type[models.Model]]:
        return list(self._tables)


def analyze(tables: Iterable[type[models.Model]]) -> None:
    """Fresh planner statistics for what was loaded (PostgreSQL only). Outside a transaction also VACUUM, so
    that the visibility map is set and index-only scans need not visit the table (autovacuum may be off or
    not have come round yet); inside one (a test) VACUUM cannot run, and ANALYZE alone is done."""
    if not is_postgres():
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in dict.fromkeys(tables):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def delete_where(model: type[models.Model], **lookup: Any) -> int:
    """Delete rows in one statement, without Django's collector (which would load a million rows first).
    The caller deletes children before parents."""
    subquery = model._base_manager.filter(**lookup).values("pk")
    sql, params = subquery.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(str(model._meta.pk.column))
    with connection.cursor() as cursor:
        # Quoted identifiers from the model's metadata; the values are parameters.
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)  # noqa: S608  # nosec B608 - see above
        return int(cursor.rowcount)


@contextmanager
def bulk_load_mode(tables: Iterable[type[models.Model]], stats: Stats) -> Iterator[None]:
    """PostgreSQL's recipe for a large load ("Populating a Database"): drop the tables' foreign keys and plain
    secondary indexes (not primary keys, not unique, not backing a constraint), load, then build the indexes
    in one sorted pass each and add the foreign keys back, each validated by one query instead of a trigger per
    row. Inside the seed's transaction: a failed load leaves every index and constraint as it was."""
    if not is_postgres():
        yield
        return
    indexes: list[tuple[str, str]] = []
    foreign_keys: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        # Checks still pending (rows written earlier in the transaction) would forbid altering the tables: run
        # them now, then defer again as Django declares its foreign keys (rows may name rows written later).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in dict.fromkeys(tables):
            table = model._meta.db_table
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                """,
                [table],
            )
            indexes += cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f'",
                [table],
            )
            foreign_keys += [(table, name, definition) for name, definition in cursor.fetchall()]
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_quoted(table)} DROP CONSTRAINT {_quoted(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {_quoted(name)}")
    yield
    with connection.cursor() as cursor:
        with stats.stage(f"secondary indexes built ({len(indexes)})"):
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
        with stats.stage(f"foreign keys added back and validated ({len(foreign_keys)})"):
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {_quoted(table)} ADD CONSTRAINT {_quoted(name)} {definition}")


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)
