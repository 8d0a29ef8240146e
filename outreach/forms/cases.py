"""Forms of the exit-case pages: the list's filters, a phase change, closing. They validate input; the
services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.formfields import BoundedDateField
from gvi.mapping.forms import DateInput
from outreach.models import ExitCase


class CaseFilterForm(forms.Form):
    """The filters of the case list (GET): whose cases, phase, open or closed, overdue only, a name."""

    WHOSE = (("", _("All I may see")), ("mine", _("Mine")), ("team", _("My team")))
    STATES = (("open", _("Open")), ("closed", _("Closed")), ("all", _("Open and closed")))

    whose = forms.ChoiceField(label=_("Whose"), choices=WHOSE, required=False)
    phase = forms.ChoiceField(label=_("Phase"), choices=[("", _("Any phase")), *ExitCase.Phase.choices], required=False)
    state = forms.ChoiceField(label=_("Open or closed"), choices=STATES, required=False, initial="open")
    overdue = forms.BooleanField(label=_("Overdue follow-up only"), required=False)
    term = forms.CharField(label=_("Name"), max_length=100, required=False)

    def values(self) -> dict[str, Any]:
        """The selector's keyword arguments; bad input falls back to the defaults."""
        data = self.cleaned_data if self.is_valid() else {}
        state = data.get("state") or "open"
        return {
            "whose": data.get("whose", ""),
            "phase": data.get("phase", ""),
            "state": "" if state == "all" else state,
            "overdue": bool(data.get("overdue")),
            "term": data.get("term", ""),
        }


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=ExitCase.Phase.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "---------"), *ExitCase.Outcome.choices])
    closed_on = BoundedDateField(label=_("Closed on"), widget=DateInput(), initial=timezone.localdate)
    closing_note = forms.CharField(
        label=_("Closing note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
