"""A report's published numbers: what reports.tasks.build_report stores in Report.results, and the one thing the
PDF, the report page, the API and the CSV / XLSX exports read, so that they always show the same cells.

Only published cells are stored — suppressed already (reports/suppression.py): a number, or a mark ("<5", "x",
".."). Nothing in a stored report can be worked back into a small count. Counting is done as the program's system
actor through access.countable, so a report's numbers do not depend on who ordered it.

The stored form (FORMAT 1), JSON:

    {"format": 1, "kind": "quarterly", "period": {"label", "first", "last"}, "previous": {...},
     "baseline": {...}, "baseline_year": 2019,
     "metrics": [{"key", "kind", "value", "previous", "baseline", "change_previous", "change_previous_percent",
                  "change_baseline", "change_baseline_percent"}, ...],
     "indicators": [{"kind", "goal", "persons", "values": [{"label", "value", "source", "source_date"}]}, ...],
     "incidents_by_quarter": [{"label", "shootings", "explosions", "other"}, ...],
     "data_as_of": ISO 8601}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from django.db.models import Count, Q
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from gvi import access
from gvi.accounts.models import Program
from gvi.mapping.models import Incident, IncidentKind
from reports.metrics import Period, compare
from reports.models import INDICATOR_GOALS, PERSONS_INDICATORS, Goal, Indicator, IndicatorKind, Report, ReportKind
from reports.suppression import PRIMARY_MARK, THRESHOLD, WITHHELD_MARK, public_cell, shown_comparisons

FORMAT: Final = 1
# The columns of a stored metric row that hold cells (a number or a mark), in table order.
CELL_COLUMNS: Final = (
    "value",
    "previous",
    "baseline",
    "change_previous",
    "change_previous_percent",
    "change_baseline",
    "change_baseline_percent",
)
# The chart of incidents per quarter goes back to the baseline year, but no further than this many years.
CHART_YEARS: Final = 6
# An indicator's trend: this many periods of the report's length, up to and including the report's.
TREND_PERIODS: Final = 5


@dataclass(frozen=True)
class Section:
    key: str
    title: StrOrPromise
    prefix: str
    goal: Goal | None = None


# The report's order: goal 1's counts, then what the program did, then goals 2–4 (the indicators).
SECTIONS: Final[tuple[Section, ...]] = (
    Section("incidents", _("Shootings, explosions and other grave violence"), "incidents.", Goal.VIOLENCE),
    Section("callins", _("Call-ins"), "callins."),
    Section("notifications", _("Custom notifications"), "notifications."),
    Section("exit", _("Exit program"), "exit."),
    Section("enforcement", _("Enforcement rounds"), "enforcement."),
    Section("responses", _("Responses after incidents"), "responses."),
)


def period_for(kind: str, year: int, quarter: int | None = None) -> Period:
    if kind == ReportKind.QUARTERLY:
        if quarter is None:
            raise ValueError("a quarterly report names its quarter")
        return Period.quarter(year, quarter)
    return Period.year(year)


def _period(period: Period) -> dict[str, str]:
    return {"label": period.label, "first": period.first.isoformat(), "last": period.last.isoformat()}


def _quarters_between(first: date, last: date) -> list[Period]:
    quarters: list[Period] = []
    year, quarter = first.year, (first.month + 2) // 3
    while True:
        period = Period.quarter(year, quarter)
        if period.first > last:
            return quarters
        quarters.append(period)
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def incidents_by_quarter(actor: Any, period: Period, baseline_year: int) -> list[dict[str, Any]]:
    """Incidents per quarter by kind, from the baseline year (at most CHART_YEARS back) to the period's end: one
    query, public statistics."""
    first_year = max(baseline_year, period.last.year - CHART_YEARS + 1)
    quarters = _quarters_between(date(first_year, 1, 1), period.last)
    span = Period.between(quarters[0].first, quarters[-1].last)
    counted = (
        access.countable(actor, Incident)
        .filter(**span.datetimes("occurred_at"))
        .annotate(quarter=TruncQuarter("occurred_at", tzinfo=timezone.get_default_timezone()))
        .values("quarter")
        .annotate(
            shootings=Count("id", filter=Q(kind=IncidentKind.SHOOTING)),
            explosions=Count("id", filter=Q(kind=IncidentKind.EXPLOSION)),
            other=Count("id", filter=Q(kind=IncidentKind.OTHER)),
        )
    )
    by_start: dict[date, dict[str, int]] = {}
    for row in counted:
        start = row["quarter"]
        start = timezone.localtime(start).date() if isinstance(start, datetime) else start
        by_start[start] = {kind: row[kind] for kind in ("shootings", "explosions", "other")}
    empty = {"shootings": 0, "explosions": 0, "other": 0}
    return [{"label": q.label, **by_start.get(q.first, empty)} for q in quarters]


def _is_small(indicator: Indicator) -> bool:
    return 0 < indicator.value < THRESHOLD


def _indicator_cell(indicator: Indicator | None, *, withheld: bool = False) -> int | float | str:
    """An entered value as stored: ".." when none was entered (never 0); a number of persons from 1 to 4 as "<5";
    "x" when `withheld` (a year's number of persons whose quarters give a "<5" away)."""
    if indicator is None:
        return public_cell(None).stored
    persons = IndicatorKind(indicator.kind) in PERSONS_INDICATORS
    if persons and _is_small(indicator):
        return PRIMARY_MARK
    if persons and withheld:
        return WITHHELD_MARK
    value = indicator.value
    return int(value) if value == value.to_integral_value() else float(value)


def indicators(program: Program, period: Period) -> list[dict[str, Any]]:
    """Each indicator over TREND_PERIODS periods of the report's length up to the report's: the value with its
    source, or ".." where none was entered (missing is never shown as zero). A year's number of persons is
    withheld when one of its quarters' is "<5" (else the year less the other quarters would give it away). One
    query: every value entered in the span, quarters and years."""
    periods = [period]
    while len(periods) < TREND_PERIODS:
        periods.insert(0, periods[0].previous())
    entered: dict[tuple[str, date, date], Indicator] = {
        (i.kind, i.period_first, i.period_last): i
        for i in Indicator.objects.filter(  # program-wide figures entered by the program lead, no persons
            program=program, period_first__gte=periods[0].first, period_last__lte=period.last
        )
    }

    def small_quarter(kind: str, year: Period) -> bool:
        quarters = (entered.get((kind, q.first, q.last)) for q in year.quarters())
        return any(q is not None and _is_small(q) for q in quarters)

    rows = []
    for kind in IndicatorKind:
        values = []
        for p in periods:
            found = entered.get((kind.value, p.first, p.last))
            values.append(
                {
                    "label": p.label,
                    "value": _indicator_cell(found, withheld=p.is_year and small_quarter(kind.value, p)),
                    "source": found.source if found else "",
                    "source_date": found.source_date.isoformat() if found else "",
                }
            )
        rows.append(
            {
                "kind": kind.value,
                "goal": int(INDICATOR_GOALS[kind]),
                "persons": kind in PERSONS_INDICATORS,
                "values": values,
            }
        )
    return rows


_COLUMNS_OF_PERIODS: Final = (("period", "value"), ("previous", "previous"), ("baseline", "baseline"))


def published_numbers(program: Program, exclude: int | None = None) -> dict[str, dict[str, list[int | float]]]:
    """Every number the program's built reports have shown, by period label and metric key (the report's own
    period, its previous and its baseline columns). For a year, the sum of its four quarters' numbers as last
    published counts as published too. One query."""
    published: dict[str, dict[str, list[int | float]]] = defaultdict(lambda: defaultdict(list))
    latest: dict[str, dict[str, int | float]] = defaultdict(dict)
    built = Report.objects.filter(program=program, status=Report.Status.DONE)
    if exclude is not None:
        built = built.exclude(pk=exclude)
    for results in built.order_by("finished_at", "pk").values_list("results", flat=True):
        if not results:
            continue
        for row in results.get("metrics", ()):
            for period_key, column in _COLUMNS_OF_PERIODS:
                label, number = results[period_key]["label"], row.get(column)
                if isinstance(number, int | float):
                    published[label][row["key"]].append(number)
                    latest[label][row["key"]] = number
    for year in {label.split("-Q")[0] for label in latest if "-Q" in label}:
        quarters = [latest.get(f"{year}-Q{q}", {}) for q in (1, 2, 3, 4)]
        for key in set.intersection(*(set(q) for q in quarters)):
            published[year][key].append(sum(q[key] for q in quarters))
    return published


def publish(
    program: Program, kind: str, period: Period, baseline_year: int, report_id: int | None = None
) -> dict[str, Any]:
    """Count and suppress one report's numbers (as the program's system actor) into the stored form. A count that
    differs by 1 to 4 from a number already published for the same period is withheld (suppression.revised)."""
    actor = access.system_actor(program)
    data_as_of = timezone.now()
    known = published_numbers(program, exclude=report_id)
    labels = {
        "current": period.label,
        "previous": period.previous().label,
        "baseline": period.same_in(baseline_year).label,
    }
    comparisons = shown_comparisons(
        compare(actor, period, baseline_year), {column: known.get(label, {}) for column, label in labels.items()}
    )
    metrics = [
        {
            "key": c.key,
            "kind": str(c.kind),
            "value": c.value.stored,
            "previous": c.previous.stored,
            "baseline": c.baseline.stored,
            "change_previous": c.change_previous.stored,
            "change_previous_percent": c.change_previous_percent.stored,
            "change_baseline": c.change_baseline.stored,
            "change_baseline_percent": c.change_baseline_percent.stored,
        }
        for c in comparisons
    ]
    return {
        "format": FORMAT,
        "kind": kind,
        "period": _period(period),
        "previous": _period(period.previous()),
        "baseline": _period(period.same_in(baseline_year)),
        "baseline_year": baseline_year,
        "metrics": metrics,
        "indicators": indicators(program, period),
        "incidents_by_quarter": incidents_by_quarter(actor, period, baseline_year),
        "data_as_of": data_as_of.isoformat(),
    }


# --------------------------------------------------------------------------------------------------
# Reading a stored report


def metrics_by_key(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in results.get("metrics", ())}


def sections(results: Mapping[str, Any]) -> list[tuple[Section, list[dict[str, Any]]]]:
    """The stored metrics grouped under SECTIONS, in report order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in results.get("metrics", ()):
        for section in SECTIONS:
            if row["key"].startswith(section.prefix):
                grouped[section.key].append(row)
                break
    return [(section, grouped[section.key]) for section in SECTIONS if grouped[section.key]]


def indicators_by_goal(results: Mapping[str, Any]) -> list[tuple[Goal, list[dict[str, Any]]]]:
    rows = results.get("indicators", ())
    return [
        (goal, [row for row in rows if row["goal"] == goal]) for goal in (Goal.SAFETY, Goal.POLICE, Goal.HEALTH_CARE)
    ]


def as_decimal(value: int | float | str) -> Decimal | str:
    """A stored number for a spreadsheet cell (exact), or the mark as text."""
    return value if isinstance(value, str) else Decimal(str(value))


def labels(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [row["label"] for row in rows]
