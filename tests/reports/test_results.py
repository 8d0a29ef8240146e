"""A report's published numbers (reports/results.py publish): the stored form the PDF, the page, the API and the
exports read.

Lena's Malmö in 2012–2013 (the demo's own records lie in recent years): incidents on the edges of quarters in
Swedish local time, referrals to the exit program that are 5 or more in a quarter but under 5 in another, and the
indicators she entered with their sources, one quarter missing. Every count is checked against the records
counted another way, in plain Python, and the suppressed cells against what the quarterly reports published.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cases.services import person_create
from gvi import access
from gvi.accounts.models import Program
from gvi.mapping import services as mapping
from gvi.mapping.models import Incident
from outreach.services import referrals
from reports import services
from reports.metrics import METRIC_KINDS, Period, compute
from reports.models import INDICATOR_GOALS, IndicatorKind
from reports.results import (
    FORMAT,
    SECTIONS,
    indicators_by_goal,
    metrics_by_key,
    publish,
    sections,
)
from reports.suppression import withheld_by_quarters
from tests.conftest import max_queries

STOCKHOLM = ZoneInfo("Europe/Stockholm")
QUARTER = Period.quarter(2013, 2)
YEAR = Period.year(2013)
BASELINE_YEAR = 2012
MARKS = {"<5", "x", ".."}
# Measured: 12 aggregate queries per period counted (metrics.compute) — a quarterly report counts 3 periods, a
# yearly one 3 years and their 12 quarters — plus the indicators, the incidents per quarter, the system actor and
# the numbers already published (suppression.revised).
QUARTERLY_QUERIES = 3 * 12 + 4
YEARLY_QUERIES = 15 * 12 + 4


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def _incident(world: dict[str, Any], kind: str, moment: datetime) -> Incident:
    return mapping.incident_create(
        actor=world["petra"], kind=kind, occurred_at=moment, place="Testgatan 1", district="Rosengård", purpose="test"
    )


def _referrals(world: dict[str, Any], days: list[date]) -> None:
    sara = world["sara"]
    for n, day in enumerate(days):
        person = person_create(actor=sara, given_name=f"Klient{n}", family_name="Test", birth_year=2000, purpose="test")
        referrals.referral_create(
            actor=sara,
            source_person=person,
            receiving_agency=sara.agency,
            receiving_team=sara.team,
            reason="Vill ut.",
            source="self",
            received_on=day,
        )


def _indicator(world: dict[str, Any], kind: str, period: Period, value: str, source: str = "Källa") -> None:
    services.add_indicator(
        world["lena"],
        {
            "kind": kind,
            "period_first": period.first,
            "period_last": period.last,
            "value": Decimal(value),
            "source": source,
            "source_date": period.last,
        },
    )


@pytest.fixture
def malmo(world: dict[str, Any]) -> Program:
    """Malmö's records in 2012–2013."""
    incidents = [
        ("shooting", at(2013, 3, 31, 23, 30)),  # Q1 in Swedish time (21:30 UTC)
        ("explosion", at(2013, 4, 1, 0, 30)),  # Q2 in Swedish time, still 31 March in UTC
        ("shooting", at(2013, 6, 30, 23, 59)),  # Q2 (21:59 UTC)
        ("other", at(2013, 5, 5)),
        ("shooting", at(2013, 1, 1, 0, 15)),  # 2013-Q1 in Swedish time, 2012 in UTC
        ("shooting", at(2012, 12, 31, 23, 30)),  # 2012-Q4
        ("explosion", at(2012, 5, 5)),
    ]
    for kind, moment in incidents:
        _incident(world, kind, moment)
    # Referrals: 2 in 2013-Q1 (published "<5" in that quarter's report), 6 in 2013-Q2, none in the rest of 2013.
    _referrals(world, [date(2013, 2, 1), date(2013, 3, 31), *(date(2013, 4, day) for day in range(1, 7))])
    police_hours = IndicatorKind.POLICE_HOURS
    _indicator(world, police_hours, Period.quarter(2013, 2), "2400", "Polisregion Syd")
    _indicator(world, police_hours, Period.quarter(2012, 4), "2550.5", "Polisregion Syd")
    _indicator(world, police_hours, Period.quarter(2012, 2), "2600", "Polisregion Syd")
    admissions = IndicatorKind.HEALTH_CARE_ADMISSIONS
    _indicator(world, admissions, Period.quarter(2013, 2), "3", "Region Skåne")
    _indicator(world, admissions, Period.quarter(2013, 1), "0", "Region Skåne")
    _indicator(world, admissions, Period.quarter(2012, 4), "12", "Region Skåne")
    _indicator(world, admissions, Period.year(2013), "20", "Region Skåne")  # its 2013-Q2 is "<5": withheld
    _indicator(world, admissions, Period.year(2012), "40", "Region Skåne")  # no quarter under 5: shown
    _indicator(world, IndicatorKind.SAFETY_SURVEY, Period.year(2013), "71.5", "Trygghetsmätningen")
    program = world["lena"].program
    assert program is not None
    return program


def _quarter_of(moment: datetime) -> str:
    local = moment.astimezone(STOCKHOLM)
    return f"{local.year}-Q{(local.month + 2) // 3}"


# --------------------------------------------------------------------------------------------------
# The stored form


def test_the_stored_form_is_the_one_its_docstring_describes(malmo: Program) -> None:
    results = publish(malmo, "quarterly", QUARTER, BASELINE_YEAR)
    assert json.loads(json.dumps(results)) == results  # plain JSON, as Report.results stores it
    assert set(results) == {
        "format",
        "kind",
        "period",
        "previous",
        "baseline",
        "baseline_year",
        "metrics",
        "indicators",
        "incidents_by_quarter",
        "data_as_of",
    }
    assert (results["format"], results["kind"], results["baseline_year"]) == (FORMAT, "quarterly", 2012)
    assert results["period"] == {"label": "2013-Q2", "first": "2013-04-01", "last": "2013-06-30"}
    assert results["previous"] == {"label": "2013-Q1", "first": "2013-01-01", "last": "2013-03-31"}
    assert results["baseline"] == {"label": "2012-Q2", "first": "2012-04-01", "last": "2012-06-30"}
    assert datetime.fromisoformat(results["data_as_of"]).tzinfo is not None
    assert [row["key"] for row in results["metrics"]] == list(METRIC_KINDS)
    for row in results["metrics"]:
        assert set(row) == {
            "key",
            "kind",
            "value",
            "previous",
            "baseline",
            "change_previous",
            "change_previous_percent",
            "change_baseline",
            "change_baseline_percent",
        }
        assert row["kind"] == METRIC_KINDS[row["key"]]
        for column, cell in row.items():
            if column not in ("key", "kind"):
                assert isinstance(cell, int | float) or cell in MARKS, (row["key"], column, cell)
    assert [row["kind"] for row in results["indicators"]] == list(IndicatorKind.values)
    for row in results["indicators"]:
        assert set(row) == {"kind", "goal", "persons", "values"}
        assert row["goal"] == INDICATOR_GOALS[IndicatorKind(row["kind"])]
        assert [v["label"] for v in row["values"]] == ["2012-Q2", "2012-Q3", "2012-Q4", "2013-Q1", "2013-Q2"]
        for value in row["values"]:
            assert set(value) == {"label", "value", "source", "source_date"}
    for row in results["incidents_by_quarter"]:
        assert set(row) == {"label", "shootings", "explosions", "other"}


def test_the_readers_of_the_stored_form(malmo: Program) -> None:
    results = publish(malmo, "quarterly", QUARTER, BASELINE_YEAR)
    grouped = sections(results)
    assert [section.key for section, _rows in grouped] == [section.key for section in SECTIONS]
    assert sum(len(rows) for _section, rows in grouped) == len(METRIC_KINDS)
    assert metrics_by_key(results)["incidents.total"]["value"] == 3
    assert [(int(goal), [r["kind"] for r in rows]) for goal, rows in indicators_by_goal(results)] == [
        (2, ["safety_survey"]),
        (3, ["police_hours"]),
        (4, ["health_care_cost", "health_care_admissions"]),
    ]


def test_the_numbers_are_the_programs_counted_as_the_system_actor(malmo: Program, world: dict[str, Any]) -> None:
    """Whoever reads the stored form, its counts are the whole program's (here: Maja's Örebro is not in them)."""
    results = metrics_by_key(publish(malmo, "quarterly", QUARTER, BASELINE_YEAR))
    raw = compute(access.system_actor(malmo), QUARTER)
    assert results["incidents.total"]["value"] == raw["incidents.total"].value == 3
    assert results["exit.referrals"]["value"] == raw["exit.referrals"].value == 6
    assert results["exit.referrals"]["previous"] == "<5"  # 2 in 2013-Q1
    assert results["exit.referrals"]["change_previous"] == "x"
    assert results["exit.referrals"]["baseline"] == 0
    assert results["exit.referrals"]["change_baseline"] == 6


# --------------------------------------------------------------------------------------------------
# Incidents per quarter, in Swedish local time


def test_incidents_are_counted_per_quarter_in_local_time(malmo: Program) -> None:
    results = publish(malmo, "quarterly", QUARTER, BASELINE_YEAR)
    chart = {row["label"]: row for row in results["incidents_by_quarter"]}
    assert list(chart) == [f"{year}-Q{q}" for year in (2012, 2013) for q in (1, 2, 3, 4)][:6]
    assert {label: (row["shootings"], row["explosions"], row["other"]) for label, row in chart.items()} == {
        "2012-Q1": (0, 0, 0),
        "2012-Q2": (0, 1, 0),
        "2012-Q3": (0, 0, 0),
        "2012-Q4": (1, 0, 0),  # 23:30 on New Year's Eve
        "2013-Q1": (2, 0, 0),  # 00:15 on New Year's Day and 23:30 on 31 March
        "2013-Q2": (1, 1, 1),  # 00:30 on 1 April and 23:59 on 30 June
    }
    # The same, counted another way over every incident of the program.
    counted: Counter[tuple[str, str]] = Counter(
        (_quarter_of(i.occurred_at), i.kind) for i in Incident.objects.filter(program=malmo)
    )
    for label, row in chart.items():
        assert (row["shootings"], row["explosions"], row["other"]) == tuple(
            counted[(label, kind)] for kind in ("shooting", "explosion", "other")
        )


def test_the_chart_reaches_back_to_the_baseline_but_no_more_than_six_years(malmo: Program) -> None:
    long_ago = publish(malmo, "yearly", YEAR, 2005)["incidents_by_quarter"]
    assert (long_ago[0]["label"], long_ago[-1]["label"], len(long_ago)) == ("2008-Q1", "2013-Q4", 24)


# --------------------------------------------------------------------------------------------------
# Indicators: trend, sources, missing values, persons


def _indicator_row(results: dict[str, Any], kind: str) -> list[tuple[str, Any, str, str]]:
    row = next(row for row in results["indicators"] if row["kind"] == kind)
    return [(v["label"], v["value"], v["source"], v["source_date"]) for v in row["values"]]


def test_an_indicators_trend_shows_a_missing_period_as_missing_never_as_zero(malmo: Program) -> None:
    results = publish(malmo, "quarterly", QUARTER, BASELINE_YEAR)
    assert _indicator_row(results, "police_hours") == [
        ("2012-Q2", 2600, "Polisregion Syd", "2012-06-30"),
        ("2012-Q3", "..", "", ""),
        ("2012-Q4", 2550.5, "Polisregion Syd", "2012-12-31"),
        ("2013-Q1", "..", "", ""),
        ("2013-Q2", 2400, "Polisregion Syd", "2013-06-30"),
    ]
    assert [v for _label, v, _s, _d in _indicator_row(results, "health_care_cost")] == [".."] * 5


def test_hospital_admissions_are_persons_and_one_to_four_is_shown_as_under_five(malmo: Program) -> None:
    results = publish(malmo, "quarterly", QUARTER, BASELINE_YEAR)
    row = next(row for row in results["indicators"] if row["kind"] == "health_care_admissions")
    assert row["persons"] is True
    assert [v["value"] for v in row["values"]] == ["..", "..", 12, 0, "<5"]  # 0 is shown as 0


def test_a_yearly_report_withholds_a_years_admissions_when_a_quarter_was_under_five(malmo: Program) -> None:
    results = publish(malmo, "yearly", YEAR, BASELINE_YEAR)
    assert [(label, value) for label, value, _s, _d in _indicator_row(results, "health_care_admissions")] == [
        ("2009", ".."),
        ("2010", ".."),
        ("2011", ".."),
        ("2012", 40),
        ("2013", "x"),  # 20 less the quarters shown elsewhere would give 2013-Q2's "<5" away
    ]
    assert _indicator_row(results, "safety_survey")[-1] == ("2013", 71.5, "Trygghetsmätningen", "2013-12-31")
    # Police hours are not persons: a year without a value is missing, whatever its quarters hold.
    assert [value for _label, value, _s, _d in _indicator_row(results, "police_hours")] == [".."] * 5


# --------------------------------------------------------------------------------------------------
# A yearly report suppresses against its quarters


def test_a_yearly_report_withholds_a_count_that_a_quarters_report_suppressed(malmo: Program) -> None:
    system = access.system_actor(malmo)
    year = compute(system, YEAR)
    quarters = [compute(system, q) for q in YEAR.quarters()]
    assert (year["exit.referrals"].value, quarters[0]["exit.referrals"].value) == (8, 2)
    assert {"exit.referrals", "exit.referrals.self"} <= withheld_by_quarters(quarters)

    yearly = metrics_by_key(publish(malmo, "yearly", YEAR, BASELINE_YEAR))
    q1 = metrics_by_key(publish(malmo, "quarterly", Period.quarter(2013, 1), BASELINE_YEAR))
    q2 = metrics_by_key(publish(malmo, "quarterly", QUARTER, BASELINE_YEAR))
    assert (q1["exit.referrals"]["value"], q2["exit.referrals"]["value"]) == ("<5", 6)
    # 8 in the year, shown, would give Q1's "<5" away as 8 - 6 (Q3 and Q4 published as 0).
    assert (yearly["exit.referrals"]["value"], yearly["exit.referrals.self"]["value"]) == ("x", "x")
    assert yearly["exit.referrals"]["change_previous"] == "x"
    # Public statistics are never suppressed.
    assert yearly["incidents.total"]["value"] == 5
    assert yearly["incidents.total"]["previous"] == 2


# --------------------------------------------------------------------------------------------------
# Queries: a fixed number, whatever the data


@pytest.mark.parametrize(
    ("kind", "period", "ceiling"),
    [("quarterly", QUARTER, QUARTERLY_QUERIES), ("yearly", YEAR, YEARLY_QUERIES)],
)
def test_publishing_runs_a_fixed_number_of_queries(
    world: dict[str, Any], kind: str, period: Period, ceiling: int
) -> None:
    program = world["lena"].program
    access.system_actor(program)
    with max_queries(ceiling) as empty:
        publish(program, kind, period, BASELINE_YEAR)
    _referrals(world, [date(2013, 4, 1), date(2013, 8, 1), date(2012, 5, 1)])
    for moment in (at(2013, 5, 1), at(2012, 5, 1), at(2013, 11, 1)):
        _incident(world, "shooting", moment)
    _indicator(world, IndicatorKind.POLICE_HOURS, Period.quarter(2013, 2), "100")
    with max_queries(ceiling) as more:
        publish(program, kind, period, BASELINE_YEAR)
    assert len(empty.captured_queries) == len(more.captured_queries) == ceiling
