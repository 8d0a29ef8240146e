"""Forms of a case's entries: the contact log (the fastest form in the system), threat assessments,
relatives and support measures. They validate input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.accounts.models import Agency, Staff
from gvi.accounts.selectors import other_agencies, staff_picker
from gvi.formfields import BoundedDateField, IdsChoiceField
from gvi.mapping.forms import DateInput
from outreach.models import Contact, Relative, SupportMeasure, ThreatLevel


class StaffChoices(IdsChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class ContactForm(forms.Form):
    """Date, channel, duration, participants, note, next step, follow-up. Defaults: today, a meeting, 30
    minutes; the note has the focus."""

    note = forms.CharField(
        label=_("Short note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True, "data-submit-on-ctrl-enter": True}),
        help_text=_("Ctrl+Enter saves."),
    )
    contact_on = BoundedDateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Contact.Channel.choices, initial=Contact.Channel.MEETING, widget=forms.RadioSelect
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        initial=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        widget=forms.NumberInput(attrs={"min": 1, "max": 24 * 60, "step": 5}),
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    follow_up_on = BoundedDateField(label=_("Follow-up date"), widget=DateInput(), required=False)
    staff = StaffChoices(queryset=Staff.objects.none(), label=_("Staff who took part"), required=False)
    agencies = IdsChoiceField(queryset=Agency.objects.none(), label=_("Agencies that took part"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, program_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = self.fields["staff"]
        agencies = self.fields["agencies"]
        assert isinstance(staff, forms.ModelMultipleChoiceField)
        assert isinstance(agencies, forms.ModelMultipleChoiceField)
        staff.queryset = staff_picker(program_id=program_id)
        agencies.queryset = other_agencies(program_id=program_id, excluding_agency_id=None)
        staff.widget.attrs["size"] = 4
        agencies.widget.attrs["size"] = 4


class ThreatForm(forms.Form):
    level = forms.ChoiceField(label=_("Threat level"), choices=[("", "---------"), *ThreatLevel.choices])
    summary = forms.CharField(label=_("Summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    assessed_on = BoundedDateField(label=_("Assessed on"), widget=DateInput(), initial=timezone.localdate)
    review_on = BoundedDateField(label=_("Review on"), widget=DateInput())


class RelativeForm(forms.Form):
    """A relative. Without the right to see a protected relative's contact details, the form has no
    phone, address or protection fields at all (they can neither be read nor changed here)."""

    CONTACT_FIELDS = ("phone", "address", "protected_identity")

    name = forms.CharField(label=_("Name"), max_length=200)
    relation = forms.ChoiceField(label=_("Relation"), choices=[("", "---------"), *Relative.Relation.choices])
    threat_level = forms.ChoiceField(label=_("Threat level"), choices=ThreatLevel.choices, initial=ThreatLevel.NONE)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(
        label=_("Address"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    protected_identity = forms.BooleanField(
        label=_("Protected identity"),
        required=False,
        help_text=_("Skyddad identitet: contact details are shown only to the responsible social worker."),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, contact_visible: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not contact_visible:
            for name in self.CONTACT_FIELDS:
                del self.fields[name]


class MeasureForm(forms.Form):
    """A support measure; the relocation fields belong to a relocation only, and safe housing and crisis
    support to a relative only."""

    RELOCATION_FIELDS = ("from_municipality", "to_municipality", "moved_on", "cost")

    kind = forms.ChoiceField(label=_("Kind"), choices=SupportMeasure.Kind.choices)
    status = forms.ChoiceField(label=_("Status"), choices=SupportMeasure.Status.choices, initial="planned")
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    starts_on = BoundedDateField(label=_("Start"), widget=DateInput(), initial=timezone.localdate)
    ends_on = BoundedDateField(label=_("End"), widget=DateInput(), required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    from_municipality = forms.CharField(label=_("From municipality"), max_length=100, required=False)
    to_municipality = forms.CharField(label=_("To municipality"), max_length=100, required=False)
    moved_on = BoundedDateField(label=_("Moved on"), widget=DateInput(), required=False)
    cost = forms.DecimalField(label=_("Cost (SEK)"), max_digits=12, decimal_places=2, min_value=0, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, for_relative: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not for_relative:
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            kind.choices = [c for c in SupportMeasure.Kind.choices if c[0] not in SupportMeasure.RELATIVE_ONLY]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == SupportMeasure.Kind.RELOCATION:
            for name in ("from_municipality", "to_municipality"):
                if name in data and not data[name].strip():
                    self.add_error(name, _("A relocation names where from and where to."))
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.RELOCATION_FIELDS and name != "version"]

    def relocation_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.RELOCATION_FIELDS]

    def service_values(self) -> dict[str, Any]:
        values = {key: value for key, value in self.cleaned_data.items() if key != "version"}
        for name in ("from_municipality", "to_municipality"):
            values[name] = values.get(name) or ""
        return values
