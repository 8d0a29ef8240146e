"""A built report's tables for a spreadsheet: CSV (Swedish Excel: UTF-8 with a BOM, ";" between cells, a decimal
comma) and XLSX. They read Report.results only, as the PDF and the report page do, so every format shows the same
cells: a number, or a mark ("<5", "x", "..") written as text.

A text cell a spreadsheet would run as a formula (an indicator's source is typed in by hand) is written with a
leading apostrophe (gvi.spreadsheet); XLSX text cells are stored as text besides.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_stubs_ext import StrOrPromise

from gvi.spreadsheet import spreadsheet_safe
from reports.definitions import DEFINITIONS
from reports.models import INDICATOR_UNITS, IndicatorKind, Report
from reports.results import CELL_COLUMNS, as_decimal, indicators_by_goal, sections

CSV_CONTENT_TYPE: Final = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --------------------------------------------------------------------------------------------------
# The tables of an export


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: list[list[Any]]


def _title(key: str) -> StrOrPromise:
    definition = DEFINITIONS.get(key)
    return definition.title if definition else key


def filename(report: Report, extension: str) -> str:
    """Like "sluta-skjut-malmo-2026-Q3-v1.csv": program, period, edition; nothing about a person."""
    return f"{slugify(report.program.name)}-{report.label}-v{report.edition}.{extension}"


def stamps(report: Report) -> list[list[Any]]:
    """The header of every export: what the numbers are of, and how fresh."""
    results = report.results or {}
    data_as_of = report.data_as_of or (
        datetime.fromisoformat(results["data_as_of"]) if results.get("data_as_of") else None
    )
    return [
        [_("Program"), report.program.name],
        [_("Report"), report.get_kind_display()],
        [_("Period"), report.label],
        [_("Previous period"), results.get("previous", {}).get("label", "")],
        [_("Baseline year"), report.baseline_year],
        [_("Edition"), report.edition],
        [_("Data as of"), timezone.localtime(data_as_of).strftime("%Y-%m-%d %H:%M") if data_as_of else ""],
    ]


def metric_table(report: Report) -> Table:
    results = report.results or {}
    previous = results.get("previous", {}).get("label", "")
    baseline = results.get("baseline", {}).get("label", "")
    columns = [
        pgettext("part of a report", "Section"),
        _("Metric"),
        _("Value"),
        _("Previous period (%(period)s)") % {"period": previous},
        _("Baseline period (%(period)s)") % {"period": baseline},
        _("Change from the previous period"),
        _("Change from the previous period, %"),
        _("Change from the baseline period"),
        _("Change from the baseline period, %"),
        _("Code"),
    ]
    rows = [
        [str(section.title), str(_title(metric["key"])), *(metric[column] for column in CELL_COLUMNS), metric["key"]]
        for section, metrics in sections(results)
        for metric in metrics
    ]
    return Table(_("Metrics"), columns, rows)


def indicator_table(report: Report) -> Table:
    columns = [_("Goal"), _("Indicator"), _("Period"), _("Value"), _("Unit"), _("Source"), _("Date of the source")]
    rows = [
        [
            str(goal.label),
            str(IndicatorKind(indicator["kind"]).label),
            value["label"],
            value["value"],
            str(INDICATOR_UNITS[IndicatorKind(indicator["kind"])]),
            value["source"],
            date.fromisoformat(value["source_date"]) if value["source_date"] else None,
        ]
        for goal, indicators in indicators_by_goal(report.results or {})
        for indicator in indicators
        for value in indicator["values"]
    ]
    return Table(_("Indicators"), columns, rows)


# --------------------------------------------------------------------------------------------------
# CSV


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return number_format(value, use_l10n=True)  # the active language's decimal mark, no grouping
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_safe(str(value))


def csv_bytes(report: Report) -> bytes:
    """The stamps, then the metric table, then the indicators, each after an empty line; headers in the active
    language."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def write(rows: Iterable[Sequence[Any]]) -> None:
        writer.writerows([_csv_text(value) for value in row] for row in rows)

    write(stamps(report))
    for table in (metric_table(report), indicator_table(report)):
        writer.writerow([])
        write([table.columns, *table.rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------------------------------
# XLSX


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    if value is None:
        return None
    if isinstance(value, str):
        item = WriteOnlyCell(sheet, value=spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", value)))
        item.data_type = "s"  # never a formula, whatever the text starts with
        return item
    item = WriteOnlyCell(sheet, value=as_decimal(value) if isinstance(value, int | float) else value)
    if isinstance(value, date):
        item.number_format = "yyyy-mm-dd"
    return item


def xlsx_bytes(report: Report) -> bytes:
    """One sheet per table, each starting with the stamps; numbers as numbers, marks and words as text."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    for table in (metric_table(report), indicator_table(report)):
        sheet = workbook.create_sheet(table.name[:31])
        for row in [*stamps(report), [], table.columns, *table.rows]:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
