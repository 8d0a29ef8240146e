"""Forms of the pages of the response after an incident and of the routine. They validate input; the services
(interventions.services.responses) decide and write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gvi.accounts.models import Agency, Staff
from gvi.mapping.models import Gmi, IncidentKind
from interventions.forms.notifications import BoundedDateTimeField
from interventions.models import IncidentResponse, ResponseTask
from interventions.services.responses import MAX_HOURS

# The periods the incident review offers, in days.
PERIODS = (30, 90, 180, 365)
DEFAULT_PERIOD = 90


class IncidentReviewFilterForm(forms.Form):
    """The filters of the incident review: period, kind, GMI classification."""

    days = forms.TypedChoiceField(
        label=_("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        initial=DEFAULT_PERIOD,
        choices=[
            (30, _("The last 30 days")),
            (90, _("The last 90 days")),
            (180, _("The last 180 days")),
            (365, _("The last year")),
        ],
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *IncidentKind.choices])
    gmi = forms.ChoiceField(
        label=_("Group-member involved (GMI)"), required=False, choices=[("", _("Any classification")), *Gmi.choices]
    )

    def values(self) -> dict[str, Any]:
        """The filters to apply; an invalid filter (a hand-edited URL) falls back to the default, never an error."""
        if not self.is_bound or not self.is_valid():
            return {"days": DEFAULT_PERIOD, "kind": "", "gmi": ""}
        return {
            "days": self.cleaned_data["days"] or DEFAULT_PERIOD,
            "kind": self.cleaned_data["kind"],
            "gmi": self.cleaned_data["gmi"],
        }


class ResponseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open and closed")), *IncidentResponse.Status.choices]
    )

    def status_value(self) -> str:
        """The status to filter on; an invalid one (a hand-edited URL) is ignored, never an error."""
        return self.cleaned_data["status"] if self.is_bound and self.is_valid() else ""


class VersionedForm(forms.Form):
    """A change posted with the version the page was read at (a double submit or a stale page is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ResponseNotesForm(VersionedForm):
    notes = forms.CharField(
        label=_("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For the police only: never shown to the other agencies with tasks."),
    )

    field_order = ["notes", "version"]


class ResponseCloseForm(VersionedForm):
    pass


class ListChoiceField(forms.TypedChoiceField):
    """A choice among records read once by the page (a list, not a queryset): no query when the form is shown
    or checked. `clean` gives the record, or None for the blank choice; anything else is the field's error."""

    def __init__(self, *, blank: Any = None, **kwargs: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.blank = blank
        self.records: dict[int, Any] = {}

    def set_records(self, records: Sequence[Any], label: Any) -> None:
        self.records = {record.pk: record for record in records}
        blank = [("", self.blank)] if self.blank is not None else []
        self.choices = [*blank, *((record.pk, label(record)) for record in records)]

    def clean(self, value: Any) -> Any:
        pk = super().clean(value)
        return None if pk is None else self.records[pk]


def _agency_name(agency: Agency) -> str:
    return agency.name


def _staff_name(staff: Staff) -> str:
    return staff.get_full_name() or staff.username


class TaskAddForm(forms.Form):
    """A task beyond the routine: what, which agency, by when."""

    title = forms.CharField(label=_("Task"), max_length=200)
    agency = ListChoiceField(label=_("Responsible agency"))
    deadline = BoundedDateTimeField(label=_("Deadline"))
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, agencies: Sequence[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, ListChoiceField)
        field.set_records(agencies, _agency_name)


class TaskAssignForm(VersionedForm):
    """Give the task to a staff member of its agency, or to nobody. The choices come from a list read once per
    page (services.responses.assignable_staff), so a page with many tasks runs no query per form."""

    assignee = ListChoiceField(label=_("Assignee"), required=False, blank=_("Nobody yet"))

    field_order = ["assignee", "version"]

    def __init__(self, *args: Any, staff: Sequence[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, ListChoiceField)
        field.set_records(staff, _staff_name)


class TaskResolveForm(VersionedForm):
    status = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        choices=[(ResponseTask.Status.DONE, _("Done")), (ResponseTask.Status.NOT_NEEDED, _("Not needed"))],
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was done, or why the task is not needed (required then). Never name persons here."),
    )

    field_order = ["status", "note", "version"]


class RoutineItemForm(forms.Form):
    """One task of the routine: what, which agency, how many hours after the incident."""

    title = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    agency = ListChoiceField(label=_("Responsible agency"))
    deadline_hours = forms.IntegerField(
        label=_("Deadline (hours after the incident)"),
        min_value=1,
        max_value=MAX_HOURS,
        help_text=_("For example 24 for the first day, 72 for the first three days."),
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=_("Leave empty to put the task last."),
    )
    active = forms.BooleanField(
        label=_("In use"),
        required=False,
        initial=True,
        help_text=_("Only tasks in use are created when a response is opened."),
    )

    def __init__(self, *args: Any, agencies: Sequence[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, ListChoiceField)
        field.set_records(agencies, _agency_name)
