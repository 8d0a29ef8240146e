"""Forms of the custom-notification pages. They validate input; the services decide (which transition is
possible now, who may deliver) and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gvi.accounts.models import Staff
from gvi.dates import in_range, out_of_range_message
from gvi.formfields import IdsChoiceField
from gvi.mapping.forms import DateTimeLocalInput
from interventions.models import CustomNotification


class NotificationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *CustomNotification.Status.choices]
    )

    def status_value(self) -> str:
        """The status to filter on; an invalid one (a hand-edited URL) is ignored, never an error."""
        return self.cleaned_data["status"] if self.is_valid() else ""


class NotificationRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why a custom notification"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The acute risk: a shooting, a threat, a release from prison. Seen by the police only, never by "
            "those who deliver it with you."
        ),
    )


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time within the system's span (gvi.dates)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateTimeLocalInput)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not in_range(value):
            raise ValidationError(out_of_range_message(), code="out_of_range")


class StepForm(forms.Form):
    """A transition posted with the version the page was read at (a double submit is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssessForm(StepForm):
    risk_outcome = forms.ChoiceField(
        label=_("Outcome of the legal-risk assessment"),
        choices=[("", _("Choose the outcome")), *CustomNotification.Risk.choices],
        help_text=_("“Do not deliver” ends the notification."),
    )
    risk_reasoning = forms.CharField(
        label=_("Reasoning"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Police only: never shown to those who deliver it."),
    )


class StaffChoices(IdsChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        agency = obj.agency.name if obj.agency_id else ""
        name = obj.get_full_name() or obj.username
        return f"{name} ({agency})" if agency else name


class PlanForm(StepForm):
    deliverers = StaffChoices(
        queryset=Staff.objects.none(),
        label=_("Who delivers it"),
        help_text=_(
            "The police together with a social worker, optionally the person's probation officer. Those outside "
            "the police see the plan and the outcome, never the reason or the risk assessment."
        ),
    )
    place = forms.ChoiceField(label=_("Where"), choices=[("", _("Choose where")), *CustomNotification.Place.choices])
    planned_for = BoundedDateTimeField(label=_("Planned for"), required=False)
    message_points = forms.CharField(
        label=_("Message points"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, staff: QuerySet[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["deliverers"]
        assert isinstance(field, IdsChoiceField)
        field.queryset = staff.select_related("agency")
        self.fields["version"] = self.fields.pop("version")


class OutcomeForm(StepForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("Choose the outcome")), *CustomNotification.Outcome.choices]
    )
    outcome_at = BoundedDateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now. Delivered or refused counts as the first contact with the person."),
    )
    outcome_note = forms.CharField(
        label=_("What happened"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FollowUpForm(StepForm):
    help_offered = forms.BooleanField(label=_("Help was offered"), required=False)
    help_accepted = forms.BooleanField(
        label=_("Help was accepted"),
        required=False,
        help_text=_("Then refer the person to the exit program from the notification's page."),
    )
    follow_up_note = forms.CharField(
        label=_("Follow-up"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(StepForm):
    pass
