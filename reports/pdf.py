"""The report as a PDF (WeasyPrint, A4, in the program's language: Swedish). Reads only Report.results, the
published and suppressed cells (reports/results.py), never the metrics again.

What it holds (templates/reports/pdf.html): a cover with the program, the report's kind and period, edition,
baseline year, who ordered it and the generated-at and data-as-of stamps; goal 1 with the incident table and the
chart of incidents per quarter; the program's work section by section (call-ins with the attendance chart, the
exit program with its funnel); goals 2–4 with their indicators as trend tables with source (a missing value is
"..", "missing"); a note on the marks of suppression; and an appendix with every metric's definition. Every page
but the cover has the program and period in its header, and every page "Page n of N" in its footer.

Nothing is fetched while rendering: the style sheet is inline, the charts are inline SVG (reports/charts.py), the
font is the system's DejaVu Sans, and the URL fetcher refuses every URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from reports import charts
from reports.definitions import DEFINITIONS, LEGEND
from reports.metrics import ROWS
from reports.models import INDICATOR_UNITS, Goal, IndicatorKind, Report
from reports.results import SECTIONS, Section, indicators_by_goal, sections
from reports.suppression import MISSING_MARK, stored_text

TEMPLATE: Final = "reports/pdf.html"
# The report speaks the program's language, whoever orders it: numbers, dates and month names follow it.
LANGUAGE: Final = "sv"
STAMP_FORMAT: Final = "Y-m-d H:i T"
DAY_FORMAT: Final = "j F Y"
# The columns of a metric table after its title, in the order of the stored row; changes are signed.
COLUMNS: Final = (
    ("value", False),
    ("previous", False),
    ("baseline", False),
    ("change_previous", True),
    ("change_previous_percent", True),
    ("change_baseline", True),
    ("change_baseline_percent", True),
)
PARTS: Final = frozenset(part for parts in ROWS.values() for part in parts)
# The charts drawn beside their section's table, with their captions.
SECTION_CHARTS: Final[Mapping[str, tuple[Callable[[Mapping[str, Any]], SafeString], StrOrPromise]]] = {
    "callins": (
        charts.attendance_chart,
        gettext_lazy(
            "Attendance of those invited to the period's call-ins. A mark instead of a bar: a suppressed count."
        ),
    ),
    "exit": (
        charts.funnel_chart,
        gettext_lazy(
            "The exit program in the period: referrals, intakes, active exit cases at the end of the period and "
            "cases completed. A mark instead of a bar: a suppressed count."
        ),
    ),
}


def refusing_fetcher() -> Any:
    """A WeasyPrint URL fetcher that fetches nothing at all: no network, no files, no data: URLs. A refused
    resource is left out (with a warning in the log) rather than stopping the report."""
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"a report fetches nothing ({url[:60]})")

    return RefuseAll(allowed_protocols=(), allow_redirects=False)


# --------------------------------------------------------------------------------------------------
# What the template shows


@dataclass(frozen=True)
class MetricLine:
    title: StrOrPromise
    part: bool  # a part of the total above it: indented
    cells: tuple[str, ...]


@dataclass(frozen=True)
class SectionBlock:
    section: Section
    lines: tuple[MetricLine, ...]
    chart: SafeString | None = None
    caption: StrOrPromise = ""


@dataclass(frozen=True)
class IndicatorValue:
    period: str
    value: str
    missing: bool
    source: str
    source_date: str
    current: bool  # the report's own period


@dataclass(frozen=True)
class IndicatorBlock:
    title: StrOrPromise
    unit: StrOrPromise
    persons: bool
    values: tuple[IndicatorValue, ...]


@dataclass(frozen=True)
class GoalBlock:
    number: int
    heading: str
    indicators: tuple[IndicatorBlock, ...]


def metric_line(row: Mapping[str, Any]) -> MetricLine:
    """A stored metric row as the PDF's table shows it: the definition's title and the seven cells."""
    definition = DEFINITIONS.get(row["key"])
    return MetricLine(
        title=definition.title if definition else row["key"],
        part=row["key"] in PARTS,
        cells=tuple(stored_text(row.get(column), signed=signed) for column, signed in COLUMNS),
    )


def section_blocks(results: Mapping[str, Any]) -> list[SectionBlock]:
    blocks = []
    for section, rows in sections(results):
        lines = tuple(metric_line(row) for row in rows)
        if section.key in SECTION_CHARTS:
            draw, caption = SECTION_CHARTS[section.key]
            blocks.append(SectionBlock(section=section, lines=lines, chart=draw(results), caption=caption))
        else:
            blocks.append(SectionBlock(section=section, lines=lines))
    return blocks


def goal_heading(goal: Goal) -> str:
    return _("Goal %(number)s: %(goal)s") % {"number": int(goal), "goal": goal.label}


def _indicator_value(stored: Mapping[str, Any], current: bool) -> IndicatorValue:
    value = stored.get("value")
    missing = value is None or value == MISSING_MARK
    source_date = stored.get("source_date") or ""
    return IndicatorValue(
        period=charts.period_text(str(stored.get("label", ""))),
        value=stored_text(MISSING_MARK if missing else value),
        missing=missing,
        source="" if missing else str(stored.get("source") or ""),
        source_date="" if missing else _day(date.fromisoformat(source_date)) if source_date else "",
        current=current,
    )


def goal_blocks(results: Mapping[str, Any]) -> list[GoalBlock]:
    """Goals 2–4, each with its indicators' values over the trend periods (the last is the report's own)."""
    blocks = []
    for goal, rows in indicators_by_goal(results):
        indicators = []
        for row in rows:
            kind = IndicatorKind(row["kind"])
            values = row.get("values", [])
            indicators.append(
                IndicatorBlock(
                    title=kind.label,
                    unit=INDICATOR_UNITS[kind],
                    persons=bool(row.get("persons")),
                    values=tuple(_indicator_value(v, i == len(values) - 1) for i, v in enumerate(values)),
                )
            )
        blocks.append(GoalBlock(number=int(goal), heading=goal_heading(goal), indicators=tuple(indicators)))
    return blocks


def definition_groups() -> list[tuple[StrOrPromise, list[tuple[StrOrPromise, StrOrPromise]]]]:
    """Every metric's definition, grouped under the report's sections."""
    groups: list[tuple[StrOrPromise, list[tuple[StrOrPromise, StrOrPromise]]]] = []
    placed: set[str] = set()
    for section in SECTIONS:
        keys = [key for key in DEFINITIONS if key.startswith(section.prefix)]
        placed.update(keys)
        groups.append((section.title, [(DEFINITIONS[k].title, DEFINITIONS[k].text) for k in keys]))
    rest = [(DEFINITIONS[k].title, DEFINITIONS[k].text) for k in DEFINITIONS if k not in placed]
    if rest:
        groups.append((_("Other"), rest))
    return [(title, items) for title, items in groups if items]


# --------------------------------------------------------------------------------------------------
# Stamps and the page margins


def _day(day: date) -> str:
    return date_format(day, DAY_FORMAT)


def stamp(moment: datetime) -> str:
    """A moment in the program's local time (Europe/Stockholm), e.g. "2026-10-05 06:00 CEST"."""
    return date_format(timezone.localtime(moment, timezone.get_default_timezone()), STAMP_FORMAT)


def generated_at(report: Report) -> datetime:
    """When the PDF was made: a finished report's finishing time, else now (the build renders before it is
    marked done)."""
    if report.status == Report.Status.DONE and report.finished_at is not None:
        return report.finished_at
    return timezone.now()


def css_string(text: str) -> str:
    """A CSS string literal for `content:` inside a <style> element: quotes, backslashes, line breaks and
    angle brackets are escaped, so no text can end the string or the element."""
    escaped = re.sub(r'[\\"<>\n\r\f]', lambda m: f"\\{ord(m[0]):x} ", text)
    return f'"{escaped}"'


def css_content(template: str, counters: Mapping[str, str]) -> str:
    """A translated text with %(name)s placeholders as a CSS `content` value: "Page %(page)s of %(pages)s"
    with {"page": "page", "pages": "pages"} gives `"Page " counter(page) " of " counter(pages)`."""
    parts = []
    for index, piece in enumerate(re.split(r"%\((\w+)\)s", template)):
        if index % 2:
            parts.append(f"counter({counters[piece]})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts) or '""'


def report_title(report: Report) -> str:
    """E.g. "Quarterly report 2026 Q3" (Swedish: "Kvartalsrapport 2026 K3")."""
    return f"{report.get_kind_display()} {charts.period_text(report.label)}"


# --------------------------------------------------------------------------------------------------
# Rendering


def report_context(report: Report) -> dict[str, Any]:
    results = report.results
    if not results:
        raise ValueError(f"report {report.pk} has no results to render")
    period = results["period"]
    data_as_of = parse_datetime(results["data_as_of"]) if results.get("data_as_of") else report.data_as_of
    generated = stamp(generated_at(report))
    page_numbers = css_content(_("Page %(page)s of %(pages)s"), {"page": "page", "pages": "pages"})
    return {
        "report": report,
        "results": results,
        "program": report.program.name,
        "title": report_title(report),
        "period_first": _day(date.fromisoformat(period["first"])),
        "period_last": _day(date.fromisoformat(period["last"])),
        "period": charts.period_text(period["label"]),
        "previous": charts.period_text(results["previous"]["label"]),
        "baseline": charts.period_text(results["baseline"]["label"]),
        "ordered_by": str(report.ordered_by) if report.ordered_by_id else _("the schedule"),
        "generated_at": generated,
        "data_as_of": stamp(data_as_of) if data_as_of else MISSING_MARK,
        "goal_one": goal_heading(Goal.VIOLENCE),
        "incidents_chart": charts.incidents_chart(results.get("incidents_by_quarter", [])),
        "sections": section_blocks(results),
        "goals": goal_blocks(results),
        "legend": list(LEGEND.items()),
        "definitions": definition_groups(),
        "page_css": mark_safe(page_numbers),  # noqa: S308  # nosec B308 B703 - css_content escapes every text
        "footer_css": mark_safe(  # noqa: S308  # nosec B308 B703 - css_string escapes every text
            css_string(_("Generated %(when)s") % {"when": generated})
        ),
    }


def report_html(report: Report) -> str:
    with translation.override(LANGUAGE):
        return render_to_string(TEMPLATE, report_context(report))


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=report_html(report), url_fetcher=refusing_fetcher()).write_pdf()
    assert pdf is not None
    return bytes(pdf)
