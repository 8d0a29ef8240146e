"""Ordering, retrying and rebuilding reports (reports/services.py), as Lena, Malmö's program lead, and the others.

Lena orders any quarter or year that has begun, against her plan's baseline (2019 in the demo) or one she names;
a second order of the same period is its next edition; a finished report is never changed: building it again makes
the next edition beside it; only a failed build is retried. Maja, Örebro's lead, cannot touch Malmö's reports; the
police and exit coordinators only read them; nobody else sees them at all. Every order, retry, rebuild and download
is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from gvi.audit.models import AuditAction, AuditEvent
from reports import services
from reports.metrics import Period
from reports.models import Report
from reports.tasks import build_report

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = date(2025, 2, 10)  # in the first quarter of 2025: 2025-Q2 has not begun, 2025 (the year) has


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with time_machine.travel(datetime(2025, 2, 10, 12, tzinfo=STOCKHOLM), tick=False):
        yield


def _events(report: Report, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="reports.report", object_id=str(report.pk), action=action))


def _errors(raised: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(raised.value.message_dict)


# --------------------------------------------------------------------------------------------------
# Ordering: what a valid order is


@pytest.mark.parametrize(
    ("order", "field"),
    [
        ({"kind": "monthly", "year": 2024, "quarter": 1}, "kind"),
        ({"kind": "quarterly", "year": 1999, "quarter": 1}, "year"),
        ({"kind": "quarterly", "year": 2026, "quarter": 1}, "year"),  # after this year
        ({"kind": "quarterly", "year": 2024}, "quarter"),
        ({"kind": "quarterly", "year": 2024, "quarter": 5}, "quarter"),
        ({"kind": "yearly", "year": 2024, "quarter": 2}, "quarter"),
        ({"kind": "quarterly", "year": 2024, "quarter": 2, "baseline_year": 2024}, "baseline_year"),
        ({"kind": "quarterly", "year": 2024, "quarter": 2, "baseline_year": 2026}, "baseline_year"),
        ({"kind": "quarterly", "year": 2024, "quarter": 2, "baseline_year": 1999}, "baseline_year"),
        ({"kind": "quarterly", "year": 2019, "quarter": 2}, "baseline_year"),  # the plan's 2019 is not before
        ({"kind": "quarterly", "year": 2025, "quarter": 2}, "quarter"),  # has not begun
    ],
)
def test_an_order_lena_cannot_make_gets_a_field_error(
    world: dict[str, Any], frozen_today: None, order: dict[str, Any], field: str
) -> None:
    before = Report.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.order_report(world["lena"], enqueue=False, **order)
    assert _errors(raised) == {field}
    assert Report.objects.count() == before


def test_a_bad_year_is_not_also_blamed_on_the_baseline(world: dict[str, Any], frozen_today: None) -> None:
    with pytest.raises(ValidationError) as raised:
        services.order_report(world["lena"], kind="yearly", year=2030, baseline_year=2019, enqueue=False)
    assert _errors(raised) == {"year"}


def test_a_period_that_has_not_ended_is_refused_by_the_day() -> None:
    """Two reports of a running quarter ordered a day apart would give that day's persons away by subtraction."""
    for today in (date(2025, 3, 31), date(2025, 6, 30)):
        with pytest.raises(ValidationError) as raised:
            services.check_period("quarterly", 2025, 2, 2019, today=today)
        assert _errors(raised) == {"quarter"}
    assert services.check_period("quarterly", 2025, 2, 2019, today=date(2025, 7, 1)) == Period.quarter(2025, 2)
    for today in (date(2024, 12, 31), date(2025, 12, 31)):
        with pytest.raises(ValidationError) as raised:
            services.check_period("yearly", 2025, None, 2019, today=today)
        assert _errors(raised) == {"year"}
    assert services.check_period("yearly", 2025, None, 2019, today=date(2026, 1, 1)) == Period.year(2025)


def test_the_last_finished_quarter() -> None:
    assert services.last_finished_quarter(date(2025, 1, 5)) == Period.quarter(2024, 4)
    assert services.last_finished_quarter(date(2025, 3, 31)) == Period.quarter(2024, 4)
    assert services.last_finished_quarter(date(2025, 4, 1)) == Period.quarter(2025, 1)
    assert services.last_finished_quarter(date(2025, 12, 31)) == Period.quarter(2025, 3)


def test_lena_orders_the_quarter_and_the_year_just_ended(world: dict[str, Any], frozen_today: None) -> None:
    quarter = services.order_report(world["lena"], kind="quarterly", year=2024, quarter=4, enqueue=False)
    year = services.order_report(world["lena"], kind="yearly", year=2024, enqueue=False)
    assert (quarter.label, quarter.period_first, quarter.period_last) == (
        "2024-Q4",
        date(2024, 10, 1),
        date(2024, 12, 31),
    )
    assert (year.label, year.period_first, year.period_last) == ("2024", date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(ValidationError):
        services.order_report(world["lena"], kind="quarterly", year=2025, quarter=1, enqueue=False)


def test_an_order_takes_the_plans_baseline_unless_lena_names_one(world: dict[str, Any]) -> None:
    lena = world["lena"]
    default = services.order_report(lena, kind="quarterly", year=2024, quarter=2, enqueue=False)
    named = services.order_report(lena, kind="quarterly", year=2024, quarter=3, baseline_year=2022, enqueue=False)
    assert default.baseline_year == world["malmo_plan"].baseline_year == 2019
    assert named.baseline_year == 2022
    assert (default.program, default.ordered_by) == (lena.program, lena)
    assert (default.status, default.results) == (Report.Status.QUEUED, None)


def test_a_second_order_of_the_same_period_is_its_next_edition(world: dict[str, Any]) -> None:
    lena = world["lena"]
    first = services.order_report(lena, kind="quarterly", year=2024, quarter=2, enqueue=False)
    second = services.order_report(lena, kind="quarterly", year=2024, quarter=2, enqueue=False)
    other_kind = services.order_report(lena, kind="yearly", year=2024, enqueue=False)
    assert (first.edition, second.edition, other_kind.edition) == (1, 2, 1)
    # Örebro's editions are counted apart.
    assert services.order_report(world["maja"], kind="quarterly", year=2024, quarter=2, enqueue=False).edition == 1


def test_an_order_is_built_once_the_transaction_commits(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(build_report, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.order_report(world["lena"], kind="quarterly", year=2024, quarter=2)
        assert sent == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [report.pk]


def test_an_order_is_audited(world: dict[str, Any]) -> None:
    report = services.order_report(world["lena"], kind="quarterly", year=2024, quarter=2, enqueue=False)
    [event] = _events(report, AuditAction.CREATE)
    assert event.actor_username == "lena"
    assert event.detail == {"period": "2024-Q2", "kind": "quarterly"}


@pytest.mark.parametrize("username", ["petra", "erik", "anders", "sara", "karin", "olof", "ada", "nils"])
def test_only_a_program_lead_orders_a_report(world: dict[str, Any], username: str) -> None:
    before = Report.objects.count()
    with pytest.raises(Http404):
        services.order_report(world[username], kind="quarterly", year=2024, quarter=2, enqueue=False)
    assert Report.objects.count() == before


# --------------------------------------------------------------------------------------------------
# Retrying a failed build


def test_lena_retries_her_failed_report(world: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    failed = world["malmo_report_failed"]
    assert failed.status == Report.Status.FAILED
    assert failed.error
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = services.retry_report(world["lena"], failed)
    assert len(callbacks) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.error, failed.edition) == (Report.Status.QUEUED, "", queued.edition)
    assert (failed.started_at, failed.finished_at) == (None, None)
    [event] = _events(failed, AuditAction.UPDATE)
    assert (event.actor_username, event.detail) == ("lena", {"retry": True})


@pytest.mark.parametrize("report_name", ["malmo_report", "malmo_report_queued"])
def test_only_a_failed_build_is_retried(world: dict[str, Any], report_name: str) -> None:
    if report_name == "malmo_report_queued":
        report = services.order_report(world["lena"], kind="quarterly", year=2024, quarter=2, enqueue=False)
    else:
        report = world[report_name]
    before = (report.status, report.error, report.results, report.pdf.name)
    with pytest.raises(ValidationError):
        services.retry_report(world["lena"], report)
    report.refresh_from_db()
    assert (report.status, report.error, report.results, report.pdf.name) == before


@pytest.mark.parametrize("username", ["maja", "petra", "erik", "sara", "ada"])
def test_nobody_else_retries_malmos_failed_report(world: dict[str, Any], username: str) -> None:
    failed = world["malmo_report_failed"]
    with pytest.raises(Http404):
        services.retry_report(world[username], failed)
    failed.refresh_from_db()
    assert failed.status == Report.Status.FAILED
    assert failed.error


# --------------------------------------------------------------------------------------------------
# Rebuilding a finished report: a new edition, the old one untouched


def _snapshot(report: Report) -> tuple[Any, ...]:
    report.refresh_from_db()
    return (report.status, report.results, report.pdf.name, report.pdf_sha256, report.finished_at, report.edition)


def test_rebuilding_makes_the_next_edition_and_leaves_the_old_one_as_it_was(world: dict[str, Any]) -> None:
    lena, done = world["lena"], world["malmo_report"]
    assert done.status == Report.Status.DONE
    assert done.results
    assert done.pdf
    before = _snapshot(done)
    with done.pdf.open("rb") as pdf:
        old_bytes = pdf.read()
    again = services.rebuild_report(lena, done)
    assert (again.edition, again.status, again.ordered_by) == (done.edition + 1, Report.Status.QUEUED, lena)
    assert (again.kind, again.period, again.baseline_year) == (done.kind, done.period, done.baseline_year)
    [event] = _events(again, AuditAction.CREATE)
    assert (event.actor_username, event.detail) == ("lena", {"edition_of": done.pk})
    assert build_report(again.pk) == Report.Status.DONE
    again.refresh_from_db()
    assert again.pdf.name != done.pdf.name
    assert again.results is not None
    assert again.results["metrics"]
    assert _snapshot(done) == before
    with done.pdf.open("rb") as pdf:
        assert pdf.read() == old_bytes


def test_only_a_finished_report_is_rebuilt(world: dict[str, Any]) -> None:
    before = Report.objects.count()
    with pytest.raises(ValidationError):
        services.rebuild_report(world["lena"], world["malmo_report_failed"])
    assert Report.objects.count() == before


@pytest.mark.parametrize("username", ["maja", "petra", "erik", "ada"])
def test_nobody_else_rebuilds_malmos_report(world: dict[str, Any], username: str) -> None:
    before = Report.objects.count()
    with pytest.raises(Http404):
        services.rebuild_report(world[username], world["malmo_report"])
    assert Report.objects.count() == before


def test_maja_rebuilds_orebros_report_only(world: dict[str, Any]) -> None:
    again = services.rebuild_report(world["maja"], world["orebro_report"])
    assert (again.program, again.edition) == (world["maja"].program, world["orebro_report"].edition + 1)


# --------------------------------------------------------------------------------------------------
# Downloads


@pytest.mark.parametrize("file_format", ["pdf", "csv", "xlsx"])
def test_a_download_is_audited_with_its_format(world: dict[str, Any], file_format: str) -> None:
    report = world["malmo_report"]
    services.audit_download(world["petra"], report, file_format)
    [event] = _events(report, AuditAction.EXPORT)
    assert (event.actor_username, event.detail) == ("petra", {"format": file_format})
    assert event.program_id == report.program_id


# --------------------------------------------------------------------------------------------------
# The plan and the indicators' one rule kept here: a number of persons is whole


def test_lena_changes_her_plan_and_maja_cannot(world: dict[str, Any]) -> None:
    plan = world["malmo_plan"]
    changed = services.change_plan(
        world["lena"], plan, expected_version=plan.version, changes={"baseline_year": 2020, "yearly": False}
    )
    assert (changed.baseline_year, changed.yearly, changed.version) == (2020, False, plan.version + 1)
    with pytest.raises(Http404):
        services.change_plan(world["maja"], changed, expected_version=changed.version, changes={"quarterly": False})


def test_hospital_admissions_are_a_whole_number_of_persons(world: dict[str, Any]) -> None:
    data = {
        "kind": "health_care_admissions",
        "period_first": date(2024, 4, 1),
        "period_last": date(2024, 6, 30),
        "value": "2.5",
        "source": "Region Skåne",
        "source_date": date(2024, 8, 1),
    }
    with pytest.raises(ValidationError) as raised:
        services.add_indicator(world["lena"], data)
    assert _errors(raised) == {"value"}
    indicator = services.add_indicator(world["lena"], {**data, "value": Decimal("3.0")})
    assert (indicator.value, indicator.label) == (3, "2024-Q2")
    hours = services.add_indicator(
        world["lena"], {**data, "kind": "police_hours", "value": Decimal("120.5")}
    )  # other indicators may have a decimal
    assert hours.value == Decimal("120.5")
