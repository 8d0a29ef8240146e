"""The reports' Celery tasks (reports/tasks.py) and the build they run (reports.services.build), in-process.

Building: a finished report is never built again; a build that died with its worker (running for longer than the
task's time limit) is taken over; a failure is stored on the report with its error and no results, and Lena
retries it; whoever ordered it, a report is counted as the program's system actor, and no count of 1 to 4 persons
is ever stored. The schedule: its beat rows are in the database after migrate; the quarterly run makes one report
per program and period however often it runs; a program whose plan has no quarterly reports gets none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from gvi import access
from gvi.accounts.models import Program, Role
from gvi.audit.models import AuditAction, AuditEvent
from reports import services
from reports.metrics import METRIC_KINDS, Kind, Period, compute
from reports.models import Report, ReportKind, ReportPlan
from reports.results import metrics_by_key
from reports.tasks import (
    build_report,
    schedule_quarterly,
    schedule_quarterly_all,
    schedule_yearly,
    schedule_yearly_all,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Counts of persons (a median of days is a statistic over persons, not a count of them).
PERSON_COUNTS = {key for key, kind in METRIC_KINDS.items() if kind == Kind.PERSONS} - {"notifications.median_days"}


def _task_events(report: Report) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=AuditAction.TASK, object_type="reports.report", object_id=str(report.pk))
    )


def _built(report: Report) -> dict[str, Any]:
    """The report as stored now, and its results (it must have some)."""
    report.refresh_from_db()
    assert report.results is not None
    return report.results


def _ordered(world: dict[str, Any], **order: Any) -> Report:
    order = {"kind": "quarterly", "year": 2024, "quarter": 2, **order}
    return services.order_report(world["lena"], enqueue=False, **order)


# --------------------------------------------------------------------------------------------------
# Building


def test_a_queued_report_is_built_by_the_system_actor(world: dict[str, Any]) -> None:
    report = _ordered(world)
    assert build_report(report.pk) == Report.Status.DONE
    results = _built(report)
    assert (report.status, report.error, report.attempts) == (Report.Status.DONE, "", 1)
    assert report.started_at is not None
    assert report.finished_at is not None
    assert report.started_at <= report.finished_at
    assert results["period"]["label"] == "2024-Q2"
    assert report.data_as_of == datetime.fromisoformat(results["data_as_of"])
    with report.pdf.open("rb") as pdf:
        content = pdf.read()
    assert content.startswith(b"%PDF")
    assert report.pdf_sha256 == hashlib.sha256(content).hexdigest()
    [event] = _task_events(report)
    assert (event.actor_username, event.detail) == (f"system-{report.program.slug}", {"build": "done"})


def test_a_finished_report_is_not_built_again(world: dict[str, Any]) -> None:
    done = world["malmo_report"]
    before = (done.results, done.pdf.name, done.pdf_sha256, done.finished_at, done.attempts, len(_task_events(done)))
    assert build_report(done.pk) == Report.Status.DONE
    done.refresh_from_db()
    assert (done.results, done.pdf.name, done.pdf_sha256, done.finished_at, done.attempts) == before[:-1]
    assert len(_task_events(done)) == before[-1]


def test_a_build_for_a_report_that_is_gone_does_nothing(world: dict[str, Any]) -> None:
    assert build_report(10**9) == "missing"


def test_a_build_another_worker_is_running_is_left_to_it(world: dict[str, Any]) -> None:
    report = _ordered(world)
    started = timezone.now() - timedelta(seconds=10)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, started_at=started, attempts=1)
    assert build_report(report.pk) == Report.Status.RUNNING
    report.refresh_from_db()
    assert (report.status, report.started_at, report.attempts, report.results) == (
        Report.Status.RUNNING,
        started,
        1,
        None,
    )


def test_a_build_that_died_with_its_worker_is_taken_over(world: dict[str, Any]) -> None:
    report = _ordered(world)
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, started_at=stale, attempts=1)
    assert build_report(report.pk) == Report.Status.DONE
    assert _built(report)["metrics"]
    assert (report.status, report.attempts) == (Report.Status.DONE, 2)
    assert report.started_at is not None
    assert report.started_at > stale


def test_a_run_that_was_taken_over_does_not_overwrite_the_later_one(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run was slow enough to look dead; a second run took it over (started later) while the first was
    still rendering. The first run's PDF must not replace the second's work."""
    report = _ordered(world)
    later = timezone.now() + timedelta(seconds=5)

    def slow_render(report: Report) -> bytes:
        Report.objects.filter(pk=report.pk).update(started_at=later, attempts=2)
        return b"%PDF-1.7 from the first run"

    monkeypatch.setattr("reports.pdf.render_pdf", slow_render)
    build_report(report.pk)
    report.refresh_from_db()
    assert (report.status, report.started_at, report.results, report.pdf.name) == (
        Report.Status.RUNNING,
        later,
        None,
        "",
    )


def test_a_run_that_was_taken_over_and_then_fails_does_not_fail_the_finished_report(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _ordered(world)
    finished = {"status": Report.Status.DONE, "results": {"format": 1}, "pdf_sha256": "a" * 64}

    def fail_after_another_run_finished(report: Report) -> bytes:
        Report.objects.filter(pk=report.pk).update(**finished)
        raise RuntimeError("the first run's renderer broke")

    monkeypatch.setattr("reports.pdf.render_pdf", fail_after_another_run_finished)
    assert build_report(report.pk) == Report.Status.DONE
    report.refresh_from_db()
    assert (report.status, report.error, report.results, report.pdf_sha256) == (
        Report.Status.DONE,
        "",
        {"format": 1},
        "a" * 64,
    )


@pytest.mark.parametrize("broken", ["reports.services.publish", "reports.pdf.render_pdf"])
def test_a_failed_build_shows_its_error_and_lena_retries_it(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    report = _ordered(world)

    def breaks(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(broken, breaks)
        assert build_report(report.pk) == Report.Status.FAILED
    report.refresh_from_db()
    assert (report.status, report.error, report.results, report.pdf.name, report.pdf_sha256) == (
        Report.Status.FAILED,
        "RuntimeError: the disk is full",
        None,
        "",
        "",
    )
    assert report.finished_at is not None
    assert [e.detail for e in _task_events(report)] == [{"build": "failed"}]
    # A failed report waits for a retry: a stray second delivery does not build it behind the reader's back.
    assert build_report(report.pk) == Report.Status.FAILED

    services.retry_report(world["lena"], report)
    assert build_report(report.pk) == Report.Status.DONE
    assert _built(report)["metrics"]
    assert (report.status, report.error, report.attempts) == (Report.Status.DONE, "", 2)
    assert report.pdf.name


def test_an_error_is_cut_to_a_readable_length(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    report = _ordered(world)

    def breaks(report: Report) -> bytes:
        raise ValueError("x" * 5000)

    monkeypatch.setattr("reports.pdf.render_pdf", breaks)
    build_report(report.pk)
    report.refresh_from_db()
    assert len(report.error) == services.ERROR_LIMIT
    assert report.error.startswith("ValueError: xxx")


def test_a_report_is_counted_as_the_system_actor_whoever_ordered_it(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import results

    counted_as: list[Any] = []
    real_compare = results.compare

    def spy(user: Any, period: Period, baseline_year: int) -> Any:
        counted_as.append(user)
        return real_compare(user, period, baseline_year)

    monkeypatch.setattr(results, "compare", spy)
    by_lena = _ordered(world)
    build_report(by_lena.pk)
    scheduled = services.schedule_report(world["lena"].program, ReportKind.QUARTERLY, Period.quarter(2024, 2))
    assert scheduled is not None
    build_report(scheduled.pk)
    system = access.system_actor(world["lena"].program)
    assert counted_as == [system, system]
    assert system.role == Role.SYSTEM
    lenas_results, scheduled_results = _built(by_lena), _built(scheduled)
    assert lenas_results["baseline_year"] == scheduled_results["baseline_year"] == 2019
    assert {**lenas_results, "data_as_of": ""} == {**scheduled_results, "data_as_of": ""}


def _person_count_cells(results: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for row in results["metrics"]:
        if row["key"] in PERSON_COUNTS:
            for column in ("value", "previous", "baseline"):
                yield row["key"], column, row[column]
    for row in results["indicators"]:
        if row["persons"]:
            for value in row["values"]:
                yield row["kind"], value["label"], value["value"]


def test_no_count_of_one_to_four_persons_is_ever_stored(world: dict[str, Any]) -> None:
    """The demo's last quarter has counts of 1 to 4 persons (proved first, from the raw counts); the built report
    walks every cell of its counts of persons and of its persons indicator."""
    lena, done = world["lena"], world["malmo_report"]
    period = done.period
    system = access.system_actor(lena.program)
    raw = compute(system, period)
    small = {key for key in PERSON_COUNTS if 0 < (raw[key].value or 0) < 5}
    assert small, "the demo's last quarter should have small counts of persons to suppress"
    for label_period, value in ((period, 3), (period.previous(), 7)):
        services.add_indicator(
            lena,
            {
                "kind": "health_care_admissions",
                "period_first": label_period.first,
                "period_last": label_period.last,
                "value": Decimal(value),
                "source": "Region Skåne",
                "source_date": period.last,
            },
        )
    report = services.order_report(
        lena, kind="quarterly", year=period.first.year, quarter=period.quarter_number, enqueue=False
    )
    build_report(report.pk)
    results = _built(report)
    cells = list(_person_count_cells(results))
    assert len(cells) == 3 * len(PERSON_COUNTS) + 5
    leaked = [(key, column, value) for key, column, value in cells if not isinstance(value, str) and 0 < value < 5]
    assert leaked == []
    shown = metrics_by_key(results)
    assert {shown[key]["value"] for key in small} <= {"<5", "x"}
    admissions = next(row for row in results["indicators"] if row["kind"] == "health_care_admissions")
    assert [v["value"] for v in admissions["values"]][-2:] == [7, "<5"]


# --------------------------------------------------------------------------------------------------
# The schedule


@pytest.mark.django_db
def test_the_schedule_is_in_the_database_after_migrate() -> None:
    """The test database is migrated: the data migration's rows are there, with their crontabs."""
    quarterly = PeriodicTask.objects.select_related("crontab").get(name="reports-quarterly")
    yearly = PeriodicTask.objects.select_related("crontab").get(name="reports-yearly")
    assert (quarterly.task, quarterly.enabled) == ("reports.schedule_quarterly_all", True)
    assert (yearly.task, yearly.enabled) == ("reports.schedule_yearly_all", True)
    for task, expected in ((quarterly, ("0", "3", "5", "1,4,7,10", "*")), (yearly, ("30", "3", "10", "1", "*"))):
        crontab = task.crontab
        assert crontab is not None
        cron = (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week)
        assert cron == expected
        assert str(crontab.timezone) == "Europe/Stockholm"


@pytest.mark.django_db
def test_the_schedule_migration_can_run_again_without_doubling_it() -> None:
    from importlib import import_module

    migration = import_module("reports.migrations.0002_beat_schedule")
    migration.add_schedule(apps, None)
    assert PeriodicTask.objects.filter(name__in=("reports-quarterly", "reports-yearly")).count() == 2


@pytest.fixture
def fifth_of_april() -> Iterator[None]:
    """Beat's quarterly run: the 5th day after the first quarter of 2025 ended."""
    with time_machine.travel(datetime(2025, 4, 5, 3, tzinfo=STOCKHOLM), tick=False):
        yield


def _scheduled(program: Program, kind: str = ReportKind.QUARTERLY) -> list[Report]:
    return list(Report.objects.filter(program=program, kind=kind, ordered_by=None))


def test_the_quarterly_run_twice_makes_one_report(
    world: dict[str, Any], fifth_of_april: None, django_capture_on_commit_callbacks: Any
) -> None:
    program = world["lena"].program
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert schedule_quarterly(program.pk) == "made"
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert schedule_quarterly(program.pk) == "skipped"
    assert (len(first), len(second)) == (1, 0)  # one build enqueued
    [report] = _scheduled(program)
    assert (report.label, report.period_first, report.period_last) == ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31))
    assert (report.status, report.ordered_by, report.scheduled, report.edition) == (
        Report.Status.QUEUED,
        None,
        True,
        1,
    )
    assert report.baseline_year == world["malmo_plan"].baseline_year == 2019
    [event] = AuditEvent.objects.filter(object_type="reports.report", object_id=str(report.pk))
    assert (event.action, event.actor_username) == (AuditAction.CREATE, f"system-{program.slug}")


def test_the_schedule_leaves_a_period_it_has_made_alone(world: dict[str, Any]) -> None:
    program, period = world["lena"].program, Period.quarter(2024, 4)
    assert services.schedule_report(program, ReportKind.QUARTERLY, period) is not None
    assert services.schedule_report(program, ReportKind.QUARTERLY, period) is None
    assert len(_scheduled(program)) == 1


def test_a_concurrent_second_run_is_held_off_by_the_constraint(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs looked before either had inserted: the second's look missed the first's report, so its insert
    hits the unique constraint, and it makes none."""
    program, period = world["lena"].program, Period.quarter(2024, 4)
    assert services.schedule_report(program, ReportKind.QUARTERLY, period) is not None
    real_exists = QuerySet.exists
    looks: list[bool] = []

    def misses_the_other_runs_report_once(queryset: QuerySet[Any]) -> bool:
        found = real_exists(queryset)
        looks.append(found)
        return found and len(looks) > 1

    monkeypatch.setattr(QuerySet, "exists", misses_the_other_runs_report_once)
    assert services.schedule_report(program, ReportKind.QUARTERLY, period) is None
    assert looks == [True, True]  # the insert between the two looks failed
    assert len(_scheduled(program)) == 1


def test_a_lead_ordering_the_same_edition_at_the_same_moment_does_not_cost_the_schedule_its_report(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule counted the editions just before Lena's order of the same period took edition 1: its insert
    hits the edition constraint, and it tries once more with the next edition."""
    program, period = world["lena"].program, Period.quarter(2024, 4)
    lenas = _ordered(world, year=2024, quarter=4)
    real_next_edition = services._next_edition
    counted: list[int] = []

    def counted_before_lenas_order(*args: Any) -> int:
        counted.append(real_next_edition(*args) - 1 if not counted else real_next_edition(*args))
        return counted[-1]

    monkeypatch.setattr(services, "_next_edition", counted_before_lenas_order)
    report = services.schedule_report(program, ReportKind.QUARTERLY, period)
    assert report is not None
    assert (counted, lenas.edition, report.edition, report.scheduled) == ([1, 2], 1, 2, True)


def test_the_fan_out_schedules_every_program(
    world: dict[str, Any], fifth_of_april: None, django_capture_on_commit_callbacks: Any
) -> None:
    programs = list(Program.objects.order_by("pk"))
    assert len(programs) >= 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert schedule_quarterly_all() == len(programs)
    assert len(callbacks) == len(programs)
    for callback in callbacks:
        callback()  # schedule_quarterly(program_id), in-process; its build waits for a commit that never comes
    for program in programs:
        assert [r.label for r in _scheduled(program)] == ["2025-Q1"]


def test_a_plan_without_quarterly_reports_gets_none(world: dict[str, Any], fifth_of_april: None) -> None:
    lena = world["lena"]
    plan = world["malmo_plan"]
    services.change_plan(lena, plan, expected_version=plan.version, changes={"quarterly": False})
    assert schedule_quarterly(lena.program.pk) == "skipped"
    assert _scheduled(lena.program) == []
    assert schedule_quarterly(world["maja"].program.pk) == "made"  # Örebro's plan still has them


def test_a_scheduled_reports_baseline_is_always_a_year_before_its_period(
    world: dict[str, Any], fifth_of_april: None
) -> None:
    lena = world["lena"]
    # The plan's service refuses a baseline that has not ended; a plan can still hold one set in a later year
    # than the clock shows here, so the schedule caps it.
    ReportPlan.objects.filter(pk=world["malmo_plan"].pk).update(baseline_year=2025)
    assert schedule_quarterly(lena.program.pk) == "made"
    [report] = _scheduled(lena.program)
    assert (report.label, report.baseline_year) == ("2025-Q1", 2024)


def test_the_yearly_run_in_january_makes_last_years_report(world: dict[str, Any]) -> None:
    program = world["maja"].program
    with time_machine.travel(datetime(2025, 1, 10, 3, 30, tzinfo=STOCKHOLM), tick=False):
        assert schedule_yearly(program.pk) == "made"
        assert schedule_yearly(program.pk) == "skipped"
        assert schedule_yearly_all() == Program.objects.count()
    [report] = _scheduled(program, ReportKind.YEARLY)
    assert (report.label, report.period_first, report.period_last, report.baseline_year) == (
        "2024",
        date(2024, 1, 1),
        date(2024, 12, 31),
        2019,
    )
