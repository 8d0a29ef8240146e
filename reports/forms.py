"""Forms of the report pages. They check the shape of the input; the services (reports.services) decide what
may be ordered or entered and say why not (check_period: a period that has not ended, a baseline year that is
not before the report's year, a quarterly report without its quarter)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.formfields import BoundedDateField
from gvi.mapping.forms import DateInput
from reports.metrics import Period
from reports.models import EARLIEST_YEAR, LATEST_YEAR, Indicator, IndicatorKind, Report, ReportKind

QUARTER_CHOICES = [("", _("None (a yearly report)")), *((str(q), str(q)) for q in (1, 2, 3, 4))]


class VersionedForm(forms.Form):
    """A change posted with the version the page was read at (a stale or double submit is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


def _year_field(label: Any, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=EARLIEST_YEAR, max_value=LATEST_YEAR, **kwargs)


# --- The archive --------------------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *ReportKind.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Report.Status.choices]
    )
    year = _year_field(_("Year"), required=False)

    def values(self) -> dict[str, Any]:
        """The filters chosen; an invalid one (a hand-edited URL) is ignored, never an error."""
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value not in ("", None)}


class OrderForm(forms.Form):
    """Order a quarterly or a yearly report of a period that has ended, against a baseline year."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ReportKind.choices, initial=ReportKind.QUARTERLY)
    year = _year_field(_("Year"))
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=QUARTER_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For a quarterly report. Leave it empty for a yearly report."),
    )
    baseline_year = _year_field(
        _("Baseline year"),
        help_text=_("The report compares its period with the same period of this year. The plan's is filled in."),
    )

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "year": data["year"],
            "quarter": data["quarter"],
            "baseline_year": data["baseline_year"],
        }


# --- Indicators ---------------------------------------------------------------------------------------


PERIOD_KINDS = [("quarter", _("A quarter")), ("year", _("A whole year"))]


class IndicatorFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Indicator"), required=False, choices=[("", _("All indicators")), *IndicatorKind.choices]
    )

    def kind_value(self) -> str:
        return self.cleaned_data["kind"] if self.is_valid() else ""


class IndicatorForm(VersionedForm):
    """A value of an indicator for one quarter or one year, with its source and the source's date."""

    kind = forms.ChoiceField(label=_("Indicator"), choices=[("", _("Choose the indicator")), *IndicatorKind.choices])
    period_kind = forms.ChoiceField(label=_("The value is for"), choices=PERIOD_KINDS, initial="quarter")
    year = _year_field(_("Year"))
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=[("", _("None (a whole year)")), *QUARTER_CHOICES[1:]],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For a value of a quarter. Leave it empty for a whole year."),
    )
    value = forms.DecimalField(
        label=_("Value"),
        min_value=0,
        max_value=10**10,
        max_digits=12,
        decimal_places=1,
        help_text=_("In the indicator's unit: per cent, hours, SEK thousand or persons. One decimal at most."),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Where the value comes from, e.g. the municipality's safety survey or the police region."),
    )
    source_date = BoundedDateField(label=_("Date of the source"), widget=DateInput)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["version"]  # a new value has no version yet

    @classmethod
    def initial_for(cls, indicator: Indicator) -> dict[str, Any]:
        period = Period.between(indicator.period_first, indicator.period_last)
        return {
            "kind": indicator.kind,
            "period_kind": "year" if period.is_year else "quarter",
            "year": indicator.period_first.year,
            "quarter": period.quarter_number,
            "value": indicator.value,
            "source": indicator.source,
            "source_date": indicator.source_date,
            "note": indicator.note,
            "version": indicator.version,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period_kind, year, quarter = data.get("period_kind"), data.get("year"), data.get("quarter")
        if period_kind is None or year is None or "quarter" in self.errors:
            return data
        if period_kind == "quarter" and quarter is None:
            self.add_error("quarter", _("Choose the quarter the value is for."))
        elif period_kind == "year" and quarter is not None:
            self.add_error("quarter", _("A value for a whole year has no quarter: leave it empty."))
        else:
            period = Period.year(year) if quarter is None else Period.quarter(year, quarter)
            if period.first > timezone.localdate():
                self.add_error("year", _("That period has not begun."))
            data["period"] = period
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        period: Period = data["period"]
        return {
            "kind": data["kind"],
            "period_first": period.first,
            "period_last": period.last,
            "value": data["value"],
            "source": data["source"],
            "source_date": data["source_date"],
            "note": data["note"],
        }


# --- The plan -----------------------------------------------------------------------------------------


class PlanForm(VersionedForm):
    baseline_year = _year_field(
        _("Baseline year"),
        help_text=_(
            "Every report compares its period with the same period of this year. Reports built already keep theirs."
        ),
    )
    quarterly = forms.BooleanField(
        label=_("Build a quarterly report on the 5th day after each quarter"), required=False
    )
    yearly = forms.BooleanField(label=_("Build a yearly report in January"), required=False)

    def clean_baseline_year(self) -> int:
        year: int = self.cleaned_data["baseline_year"]
        if year >= timezone.localdate().year:
            raise ValidationError(_("The baseline year is a year that has ended."))
        return year
