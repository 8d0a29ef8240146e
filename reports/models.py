"""Reports to the steering group (DOMAIN.md step 7, issue 12). Program-wide records, no persons in them:

- a **Report**: one quarter's or one year's numbers, built by a Celery task (reports.tasks.build_report) into a
  snapshot of the published cells (`results`, already suppressed) and a PDF. Ordered by the program lead or
  made by the schedule; immutable once built: building again makes a new edition;
- an **Indicator**: a value the system cannot count itself (goals 2–4: perceived safety, police hours, health
  care), entered per period with its source and date;
- the program's **ReportPlan**: the baseline year every report compares against, and whether the schedule
  builds quarterly and yearly reports.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reports.metrics import Period

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


class ReportKind(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly report")
    YEARLY = "yearly", _("Yearly report")


def report_path(report: Report, filename: str) -> str:
    """Where a report's PDF is stored: by program and period, never by anything about a person."""
    return f"reports/{report.program_id}/{report.label}-{report.edition}-{report.pk or 'new'}.pdf"


class Report(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        DONE = "done", pgettext_lazy("status of a report", "Done")
        FAILED = "failed", _("Failed")

    program = models.ForeignKey("accounts.Program", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_first = models.DateField(_("first day"))
    period_last = models.DateField(_("last day"))
    label = models.CharField(_("period"), max_length=30, editable=False)
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"), validators=[MinValueValidator(EARLIEST_YEAR), MaxValueValidator(LATEST_YEAR)]
    )
    edition = models.PositiveSmallIntegerField(_("edition"), default=1, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)
    # Null: made by the schedule.
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ordered by"),
    )
    ordered_at = models.DateTimeField(_("ordered"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True, editable=False)
    # The published cells (suppressed already): the PDF, the page and the exports all read this.
    results = models.JSONField(_("results"), null=True, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to=report_path, blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-period_first", "kind", "-edition", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "period_first", "edition"], name="one_report_edition_per_period"
            ),
            # The schedule makes a period's report once, however often it runs.
            models.UniqueConstraint(
                fields=["program", "kind", "period_first"],
                condition=models.Q(ordered_by__isnull=True),
                name="one_scheduled_report_per_period",
            ),
            models.CheckConstraint(condition=models.Q(period_first__lte=models.F("period_last")), name="report_period"),
        ]
        indexes = [models.Index(fields=["program", "status"], name="report_program_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"

    @property
    def period(self) -> Period:
        return Period.between(self.period_first, self.period_last)

    @property
    def scheduled(self) -> bool:
        return self.ordered_by_id is None

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def stalled(self) -> bool:
        """Being built for longer than a task may run: its worker died (killed at the time limit, out of memory)."""
        limit = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        return self.status == self.Status.RUNNING and self.started_at is not None and self.started_at < limit

    @property
    def retryable(self) -> bool:
        return self.status == self.Status.FAILED or self.stalled


class Goal(models.IntegerChoices):
    """The four goals of the strategy (DOMAIN.md step 7). Goal 1 is counted by the system."""

    VIOLENCE = 1, _("Less deadly and grave group violence")
    SAFETY = 2, _("More perceived safety")
    POLICE = 3, _("Fewer police investigation resources")
    HEALTH_CARE = 4, _("Fewer health-care resources")


class IndicatorKind(models.TextChoices):
    SAFETY_SURVEY = "safety_survey", _("Residents who feel safe in their area (safety survey)")
    POLICE_HOURS = "police_hours", _("Police investigation hours on grave violence")
    HEALTH_CARE_COST = "health_care_cost", _("Health-care cost of gun and blast injuries")
    HEALTH_CARE_ADMISSIONS = "health_care_admissions", _("Hospital admissions for gun and blast injuries")


# Each indicator's goal and unit; admissions are counts of persons and are suppressed like the reports' own.
INDICATOR_GOALS = {
    IndicatorKind.SAFETY_SURVEY: Goal.SAFETY,
    IndicatorKind.POLICE_HOURS: Goal.POLICE,
    IndicatorKind.HEALTH_CARE_COST: Goal.HEALTH_CARE,
    IndicatorKind.HEALTH_CARE_ADMISSIONS: Goal.HEALTH_CARE,
}
INDICATOR_UNITS = {
    IndicatorKind.SAFETY_SURVEY: _("%"),
    IndicatorKind.POLICE_HOURS: _("hours"),
    IndicatorKind.HEALTH_CARE_COST: _("SEK thousand"),
    IndicatorKind.HEALTH_CARE_ADMISSIONS: _("persons"),
}
PERSONS_INDICATORS = frozenset({IndicatorKind.HEALTH_CARE_ADMISSIONS})


class Indicator(models.Model):
    """One value for one period (a quarter or a year), entered by the program lead with its source."""

    program = models.ForeignKey("accounts.Program", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("indicator"), max_length=30, choices=IndicatorKind.choices)
    period_first = models.DateField(_("first day"))
    period_last = models.DateField(_("last day"))
    label = models.CharField(_("period"), max_length=30, editable=False)
    value = models.DecimalField(
        _("value"), max_digits=12, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(10**10)]
    )
    source = models.CharField(_("source"), max_length=300)
    source_date = models.DateField(_("date of the source"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["kind", "-period_first", "period_last", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "period_first", "period_last"], name="one_indicator_value_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_first__lte=models.F("period_last")), name="indicator_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"

    @property
    def goal(self) -> Goal:
        return INDICATOR_GOALS[IndicatorKind(self.kind)]

    @property
    def unit(self) -> str:
        return str(INDICATOR_UNITS[IndicatorKind(self.kind)])


def default_baseline_year() -> int:
    return timezone.localdate().year - 1


class ReportPlan(models.Model):
    """The program's report settings: the baseline year, and which reports the schedule builds."""

    program = models.OneToOneField("accounts.Program", on_delete=models.CASCADE, related_name="+")
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"),
        default=default_baseline_year,
        validators=[MinValueValidator(EARLIEST_YEAR), MaxValueValidator(LATEST_YEAR)],
        help_text=_("Every report compares its period with the same period of this year."),
    )
    quarterly = models.BooleanField(_("build quarterly reports on schedule"), default=True)
    yearly = models.BooleanField(_("build yearly reports on schedule"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("report plan")
        verbose_name_plural = _("report plans")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.program_id}"
