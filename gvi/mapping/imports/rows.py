"""The report of a preview or an import, the cell parsers that fill it, and the all-or-nothing commit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.dates import in_range, out_of_range_message
from gvi.mapping.imports.columns import DATE_FORMAT, DATETIME_FORMAT, ImportKind
from gvi.mapping.models import Group

IMPORT_PURPOSE = "group mapping import"
GROUP_SEPARATORS = re.compile(r"[;|]")


class RowStatus(StrEnum):
    NEW = "new"
    SKIPPED = "skipped"
    REJECTED = "rejected"


@dataclass
class RowReport:
    line: int
    cells: dict[str, str]
    status: RowStatus = RowStatus.NEW
    errors: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""

    def reject(self, column: str, message: str) -> None:
        self.status = RowStatus.REJECTED
        self.errors.append((column, message))


@dataclass
class ImportResult:
    kind: ImportKind
    rows: list[RowReport]
    committed: bool = False
    created_ids: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def rejected(self) -> list[RowReport]:
        return [row for row in self.rows if row.status is RowStatus.REJECTED]

    @property
    def skipped(self) -> list[RowReport]:
        return [row for row in self.rows if row.status is RowStatus.SKIPPED]

    @property
    def new(self) -> list[RowReport]:
        return [row for row in self.rows if row.status is RowStatus.NEW]

    @property
    def rejected_lines(self) -> list[int]:
        return [row.line for row in self.rejected]

    @property
    def can_commit(self) -> bool:
        return not self.committed and not self.error and not self.rejected and bool(self.new)


@dataclass
class Plan:
    report: RowReport
    values: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Cell parsers: each returns the value or records the reason on the row


def text_cell(plan: Plan, column: str, *, max_length: int, required: bool = False) -> str:
    value = plan.report.cells.get(column, "").strip()
    if required and not value:
        plan.report.reject(column, _("This column is required."))
    elif len(value) > max_length:
        plan.report.reject(
            column, _("At most %(max)s characters (this has %(length)s).") % {"max": max_length, "length": len(value)}
        )
    return value


def choice_cell(plan: Plan, column: str, words: dict[str, str], *, default: str | None = None) -> str:
    raw = plan.report.cells.get(column, "").strip()
    if not raw:
        if default is None:
            plan.report.reject(column, _("This column is required."))
            return ""
        return default
    value = words.get(raw.casefold())
    if value is None:
        allowed = ", ".join(sorted(set(words.values())))
        plan.report.reject(
            column, _("Unknown value %(value)r: use one of %(allowed)s.") % {"value": raw, "allowed": allowed}
        )
        return ""
    return value


def count_cell(plan: Plan, column: str) -> int:
    raw = plan.report.cells.get(column, "").strip()
    if not raw:
        return 0
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 32767:
        plan.report.reject(column, _("Enter a whole number, 0 or more."))
        return 0
    return int(number)


def coordinate_cell(plan: Plan, column: str, limit: int) -> Decimal | None:
    raw = plan.report.cells.get(column, "").strip()
    if not raw:
        return None
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not -limit <= number <= limit:
        plan.report.reject(column, _("Enter decimal degrees between -%(limit)s and %(limit)s.") % {"limit": limit})
        return None
    return number.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)


def datetime_cell(plan: Plan, column: str) -> datetime | None:
    raw = plan.report.cells.get(column, "").strip()
    if not raw:
        plan.report.reject(column, _("This column is required."))
        return None
    for pattern in (DATETIME_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            naive = datetime.strptime(raw, pattern)  # noqa: DTZ007 - made aware in local time below
        except ValueError:
            continue
        if not in_range(naive):
            plan.report.reject(column, out_of_range_message())
            return None
        moment = timezone.make_aware(naive, timezone.get_default_timezone())
        if moment > timezone.now():
            plan.report.reject(column, _("The incident cannot be in the future."))
            return None
        return moment
    plan.report.reject(column, _("Enter a date and time as YYYY-MM-DD HH:MM (not %(value)r).") % {"value": raw})
    return None


def date_cell(plan: Plan, column: str, *, required: bool = False) -> date | None:
    raw = plan.report.cells.get(column, "").strip()
    if not raw:
        if required:
            plan.report.reject(column, _("This column is required."))
        return None
    for suffix in (" 00:00:00", " 00:00", "T00:00:00", "T00:00"):
        if raw.endswith(suffix):
            raw = raw[: -len(suffix)]
            break
    try:
        day = datetime.strptime(raw, DATE_FORMAT).date()  # noqa: DTZ007 - a plain date
    except ValueError:
        plan.report.reject(column, _("Enter a date as YYYY-MM-DD (not %(value)r).") % {"value": raw})
        return None
    if not in_range(day):
        plan.report.reject(column, out_of_range_message())
        return None
    return day


def group_names(raw: str) -> list[str]:
    return [name.strip() for name in GROUP_SEPARATORS.split(raw) if name.strip()]


def groups_by_name(actor: Staff) -> dict[str, Group]:
    """The groups the actor may add to, by case-folded name. Only what they may see: nothing else leaks."""
    return {group.name.casefold(): group for group in access.visible(actor, Group, "change").only("id", "name")}


def chunks[T](items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------------------------------
# Committing: all or nothing


class _RowFailed(Exception):
    def __init__(self, line: int, messages: list[str]) -> None:
        super().__init__(line)
        self.line = line
        self.messages = messages


def commit(
    actor: Staff,
    kind: ImportKind,
    plans: list[Plan],
    create: Callable[[Staff, dict[str, Any]], models.Model],
) -> ImportResult:
    result = ImportResult(kind, [plan.report for plan in plans])
    if result.rejected:
        return result
    created: list[int] = []
    try:
        with transaction.atomic():
            for plan in plans:
                if plan.report.status is not RowStatus.NEW:
                    continue
                try:
                    obj = create(actor, plan.values)
                except ValidationError as exc:
                    raise _RowFailed(plan.report.line, exc.messages) from exc
                except IntegrityError as exc:
                    raise _RowFailed(plan.report.line, [_("It clashes with a record saved meanwhile.")]) from exc
                created.append(obj.pk)
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                object_type="mapping.import",
                object_ids=created,
                purpose=IMPORT_PURPOSE,
                detail={"kind": str(kind), "rows": len(created), "skipped": len(result.skipped)},
            )
    except _RowFailed as failure:
        for plan in plans:
            if plan.report.line == failure.line:
                for message in failure.messages:
                    plan.report.reject("", message)
        result.error = _("Line %(line)s could not be saved: %(reason)s Nothing was imported.") % {
            "line": failure.line,
            "reason": " ".join(failure.messages),
        }
        return result
    result.committed = True
    result.created_ids = created
    return result
