"""Ordering, scheduling and building reports; the indicators and the report plan. Every write goes through here.

A report is ordered (by the program lead) or scheduled (by beat, as the program's system actor), then built by
reports.tasks.build_report: counted and suppressed into Report.results (reports/results.py), rendered to a PDF,
and marked done. A built report never changes: building it again makes the next edition. A failed build keeps its
error for the reader and can be retried.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Program, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned
from reports.metrics import Period
from reports.models import (
    EARLIEST_YEAR,
    PERSONS_INDICATORS,
    Indicator,
    IndicatorKind,
    Report,
    ReportKind,
    ReportPlan,
)
from reports.results import period_for, publish

logger = logging.getLogger(__name__)

# What a failed build shows: the kind of error, never a traceback (which could quote data).
ERROR_LIMIT = 500


def plan_for(program: Program) -> ReportPlan:
    """The program's report plan, made with its defaults the first time it is asked for."""
    plan, _created = ReportPlan.objects.get_or_create(program=program)
    return plan


def change_plan(user: Staff, plan: ReportPlan, *, expected_version: int, changes: dict[str, Any]) -> ReportPlan:
    access.require(user, "change", plan)
    baseline_year = changes.get("baseline_year", plan.baseline_year)
    last_year = timezone.localdate().year - 1
    if not EARLIEST_YEAR <= baseline_year <= last_year:
        raise ValidationError(
            {
                "baseline_year": _("Give a baseline year from %(first)s to %(last)s: a year that has ended.")
                % {"first": EARLIEST_YEAR, "last": last_year}
            }
        )
    fresh = update_versioned(plan, expected_version=expected_version, changes=changes)
    audit_record(actor=user, action=AuditAction.UPDATE, obj=fresh, detail={"fields": sorted(changes)})
    return fresh


# --------------------------------------------------------------------------------------------------
# Periods


def last_finished_quarter(today: date) -> Period:
    """The last calendar quarter that has ended by `today`."""
    quarter = (today.month + 2) // 3
    return Period.quarter(today.year - 1, 4) if quarter == 1 else Period.quarter(today.year, quarter - 1)


def check_period(kind: str, year: int, quarter: int | None, baseline_year: int, *, today: date) -> Period:
    """The period to report, or field errors: a quarter of a quarterly report, a period that has ended, and a
    baseline year before the period's. Only ended periods: two reports of a period still running, ordered a day
    apart, would give the persons of that day away by a subtraction."""
    errors: dict[str, str] = {}
    if kind not in ReportKind.values:
        errors["kind"] = _("Choose a quarterly or a yearly report.")
    if not EARLIEST_YEAR <= year <= today.year:
        errors["year"] = _("Give a year from %(first)s to %(last)s.") % {"first": EARLIEST_YEAR, "last": today.year}
    if kind == ReportKind.QUARTERLY and quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("Choose a quarter, 1 to 4.")
    if kind == ReportKind.YEARLY and quarter is not None:
        errors["quarter"] = _("A yearly report covers the whole year: leave the quarter empty.")
    if baseline_year < EARLIEST_YEAR or ("year" not in errors and baseline_year >= year):
        errors["baseline_year"] = _("The baseline year comes before the report's year (from %(first)s).") % {
            "first": EARLIEST_YEAR
        }
    if errors:
        raise ValidationError(errors)
    period = period_for(kind, year, quarter)
    if period.last >= today:
        raise ValidationError(
            {
                "quarter" if kind == ReportKind.QUARTERLY else "year": _(
                    "That period has not ended yet. A report covers a whole quarter or year that has ended, so that"
                    " two reports cannot be subtracted to single someone out."
                )
            }
        )
    return period


# --------------------------------------------------------------------------------------------------
# Ordering and scheduling


def _next_edition(program: Program, kind: str, period: Period) -> int:
    latest = Report.objects.filter(program=program, kind=kind, period_first=period.first).aggregate(
        latest=Max("edition")
    )["latest"]
    return (latest or 0) + 1


def _enqueue_build(report: Report) -> None:
    from reports.tasks import build_report  # the task module imports this one

    transaction.on_commit(lambda: build_report.delay(report.pk))


def order_report(
    user: Staff,
    *,
    kind: str,
    year: int,
    quarter: int | None = None,
    baseline_year: int | None = None,
    enqueue: bool = True,
) -> Report:
    """The program lead orders a report of any quarter or year that has ended; it is built in the background
    (`enqueue=False`: the caller builds it, e.g. the demo). Only quarters and years: two overlapping spans of days
    would give away small counts by a subtraction."""
    access.require(user, "add", Report)
    program = user.program
    assert program is not None
    if baseline_year is None:
        baseline_year = plan_for(program).baseline_year
    period = check_period(kind, year, quarter, baseline_year, today=timezone.localdate())
    with transaction.atomic():
        report = Report(
            program=program,
            kind=kind,
            period_first=period.first,
            period_last=period.last,
            label=period.label,
            baseline_year=baseline_year,
            edition=_next_edition(program, kind, period),
            ordered_by=user,
        )
        save_new_unique(report, field="year", message=_("This report was ordered at the same moment; try again."))
        audit_record(actor=user, action=AuditAction.CREATE, obj=report, detail={"period": period.label, "kind": kind})
        if enqueue:
            _enqueue_build(report)
    return report


def schedule_report(program: Program, kind: str, period: Period) -> Report | None:
    """The schedule's report of a period, made once however often the schedule runs (a unique constraint holds
    a concurrent second run off); returns it when it was made now, else None. Its baseline is the plan's, but
    always a year before the period's."""
    plan = plan_for(program)
    if not (plan.quarterly if kind == ReportKind.QUARTERLY else plan.yearly):
        return None
    baseline_year = min(plan.baseline_year, period.first.year - 1)
    actor = access.system_actor(program)
    # A second try only when a lead's order took the same edition at the same moment.
    for _attempt in range(2):
        if Report.objects.filter(program=program, kind=kind, period_first=period.first, ordered_by=None).exists():
            return None
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    program=program,
                    kind=kind,
                    period_first=period.first,
                    period_last=period.last,
                    label=period.label,
                    baseline_year=baseline_year,
                    edition=_next_edition(program, kind, period),
                )
                audit_record(actor=actor, action=AuditAction.CREATE, obj=report, detail={"period": period.label})
                _enqueue_build(report)
        except IntegrityError:
            continue  # another run made it first (the next look finds it), or an order took the edition
        return report
    return None


def retry_report(user: Staff, report: Report) -> Report:
    """Queue a failed build again, or one stalled (its worker died mid-build): the same edition, it was never
    published."""
    access.require(user, "change", report)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.retryable:
            raise ValidationError(_("Only a report whose build failed or stalled can be retried."))
        locked.status, locked.error = Report.Status.QUEUED, ""
        locked.started_at = locked.finished_at = None
        locked.save(update_fields=["status", "error", "started_at", "finished_at"])
        audit_record(actor=user, action=AuditAction.UPDATE, obj=locked, detail={"retry": True})
        _enqueue_build(locked)
    return locked


def rebuild_report(user: Staff, report: Report) -> Report:
    """Build a finished report again from today's data: a new edition beside the old, which stays as it was."""
    access.require(user, "change", report)
    if report.status != Report.Status.DONE:
        raise ValidationError(_("Only a finished report can be built again; retry a failed one."))
    with transaction.atomic():
        again = Report(
            program=report.program,
            kind=report.kind,
            period_first=report.period_first,
            period_last=report.period_last,
            label=report.label,
            baseline_year=report.baseline_year,
            edition=_next_edition(report.program, report.kind, report.period),
            ordered_by=user,
        )
        save_new_unique(again, field="edition", message=_("This report is being built again already."))
        audit_record(actor=user, action=AuditAction.CREATE, obj=again, detail={"edition_of": report.pk})
        _enqueue_build(again)
    return again


# --------------------------------------------------------------------------------------------------
# Building


def build(report_id: int) -> Report | None:
    """Count, suppress, render and store one report (the body of reports.tasks.build_report).

    Idempotent: a report that is done, failed (retry_report queues it again) or being built by another worker is
    left as it is; one whose build has run longer than the task's time limit died with its worker and is built
    again. Only the run that marked the report running may finish it, so a run that was taken over can never
    overwrite the report that replaced its work. A failure is stored on the report for its readers (and logged),
    not raised: the report carries it, and a page that ordered a build in-process does not fail with it."""
    from reports.pdf import render_pdf  # WeasyPrint is heavy: load it in the worker only

    started = timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status in (Report.Status.DONE, Report.Status.FAILED):
            return report
        stale = started - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        if report.status == Report.Status.RUNNING and report.started_at and report.started_at > stale:
            return report
        report.status, report.error, report.started_at = Report.Status.RUNNING, "", started
        report.attempts += 1
        report.save(update_fields=["status", "error", "started_at", "attempts"])
    ours = Report.objects.filter(pk=report_id, status=Report.Status.RUNNING, started_at=started)
    actor = access.system_actor(report.program)
    try:
        with transaction.atomic():  # a database error here leaves the connection usable for storing it
            results = publish(report.program, report.kind, report.period, report.baseline_year, report.pk)
        report.results, report.data_as_of = results, datetime.fromisoformat(results["data_as_of"])
        pdf = render_pdf(report)
    except Exception as error:
        logger.exception("report %s failed to build", report_id)
        # A database error's text can quote the statement with its values: never shown to the reader.
        if isinstance(error, DatabaseError):
            message = _("The database refused the build (%(kind)s); the server log has the details.") % {
                "kind": type(error).__name__
            }
        else:
            message = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        with transaction.atomic():
            if ours.update(status=Report.Status.FAILED, error=message, finished_at=timezone.now(), results=None):
                audit_record(actor=actor, action=AuditAction.TASK, obj=report, detail={"build": "failed"})
        report.refresh_from_db()
        return report
    with transaction.atomic():
        mine = ours.select_for_update().first()
        if mine is None:  # taken over as stale meanwhile: the later run's report stands
            return Report.objects.get(pk=report_id)
        mine.results, mine.data_as_of = results, report.data_as_of
        mine.pdf.save(f"{mine.label}.pdf", ContentFile(pdf), save=False)
        mine.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        mine.status, mine.finished_at = Report.Status.DONE, timezone.now()
        mine.save(update_fields=["results", "pdf", "pdf_sha256", "status", "finished_at", "data_as_of"])
        audit_record(actor=actor, action=AuditAction.TASK, obj=mine, detail={"build": "done"})
    return mine


def audit_download(user: Staff, report: Report, file_format: str) -> None:
    """Every download of a report is audited: who took which report, in which format."""
    audit_record(actor=user, action=AuditAction.EXPORT, obj=report, detail={"format": file_format})


# --------------------------------------------------------------------------------------------------
# Indicators


def _indicator_period(data: dict[str, Any]) -> Period:
    try:
        period = Period.between(data["period_first"], data["period_last"])
    except ValueError:
        raise ValidationError({"period_last": _("The period ends on or after its first day.")}) from None
    if period.quarter_number is None and not period.is_year:
        raise ValidationError({"period_first": _("An indicator is entered for a quarter or a year.")})
    if period.first > timezone.localdate():
        raise ValidationError({"period_first": _("That period has not begun.")})
    return period


def _check_indicator(data: dict[str, Any]) -> None:
    if data.get("kind") not in IndicatorKind.values:
        raise ValidationError({"kind": _("Choose an indicator.")})
    value = data.get("value")
    if IndicatorKind(data["kind"]) in PERSONS_INDICATORS and value is not None and Decimal(value) % 1:
        raise ValidationError({"value": _("A number of persons is a whole number.")})
    if data["source_date"] > timezone.localdate():
        raise ValidationError({"source_date": _("The source's date cannot be in the future.")})


def add_indicator(user: Staff, data: dict[str, Any]) -> Indicator:
    access.require(user, "add", Indicator)
    _check_indicator(data)
    period = _indicator_period(data)
    indicator = Indicator(program=user.program, entered_by=user, label=period.label, **data)
    save_new_unique(
        indicator, field="period_first", message=_("A value for this indicator and period is entered already.")
    )
    audit_record(actor=user, action=AuditAction.CREATE, obj=indicator, detail={"kind": indicator.kind})
    return indicator


def change_indicator(user: Staff, indicator: Indicator, *, expected_version: int, data: dict[str, Any]) -> Indicator:
    access.require(user, "change", indicator)
    merged = {
        field: data.get(field, getattr(indicator, field))
        for field in ("kind", "period_first", "period_last", "value", "source", "source_date", "note")
    }
    _check_indicator(merged)
    period = _indicator_period(merged)
    clash = Indicator.objects.filter(
        program_id=indicator.program_id,
        kind=merged["kind"],
        period_first=period.first,
        period_last=period.last,
    ).exclude(pk=indicator.pk)
    if clash.exists():
        raise ValidationError({"period_first": _("A value for this indicator and period is entered already.")})
    try:
        with transaction.atomic():
            fresh = update_versioned(
                indicator, expected_version=expected_version, changes={**merged, "label": period.label}
            )
    except IntegrityError:
        raise ValidationError(
            {"period_first": _("A value for this indicator and period is entered already.")}
        ) from None
    audit_record(actor=user, action=AuditAction.UPDATE, obj=fresh, detail={"fields": sorted(data)})
    return fresh


def delete_indicator(user: Staff, indicator: Indicator) -> None:
    access.require(user, "delete", indicator)
    audit_record(actor=user, action=AuditAction.DELETE, obj=indicator, detail={"kind": indicator.kind})
    indicator.delete()
