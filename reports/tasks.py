"""The reports' Celery tasks: build one report, and the schedule's fan-out (django-celery-beat rows made by
reports/migrations/0002_beat_schedule.py)."""

from __future__ import annotations

from celery import Task, shared_task
from django.utils import timezone

from gvi.accounts.models import Program
from gvi.tasks import enqueue_per_program
from reports import services
from reports.metrics import Period
from reports.models import ReportKind


@shared_task(bind=True, acks_late=True, name="reports.build_report")
def build_report(self: Task, report_id: int) -> str:
    """Build one report (idempotent: a report that is done is left as it is). A failure is stored on the report
    and shown to its readers, who can retry it."""
    report = services.build(report_id)
    return report.status if report is not None else "missing"


@shared_task(bind=True, acks_late=True, name="reports.schedule_quarterly")
def schedule_quarterly(self: Task, program_id: int) -> str:
    period = services.last_finished_quarter(timezone.localdate())
    program = Program.objects.get(pk=program_id)
    return "made" if services.schedule_report(program, ReportKind.QUARTERLY, period) else "skipped"


@shared_task(bind=True, acks_late=True, name="reports.schedule_yearly")
def schedule_yearly(self: Task, program_id: int) -> str:
    period = Period.year(timezone.localdate().year - 1)
    program = Program.objects.get(pk=program_id)
    return "made" if services.schedule_report(program, ReportKind.YEARLY, period) else "skipped"


@shared_task(name="reports.schedule_quarterly_all")
def schedule_quarterly_all() -> int:
    """Beat, on the 5th day after each quarter: the quarter just ended, for every program."""
    return enqueue_per_program(schedule_quarterly)


@shared_task(name="reports.schedule_yearly_all")
def schedule_yearly_all() -> int:
    """Beat, in January: the year just ended, for every program."""
    return enqueue_per_program(schedule_yearly)
