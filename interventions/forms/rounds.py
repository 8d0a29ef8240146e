"""Forms of the enforcement-round pages. They validate input; the services (interventions.services.rounds)
decide what may change now and write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi import access
from gvi.accounts.models import Agency, Staff
from gvi.formfields import BoundedDateField, IdsChoiceField
from gvi.mapping.forms import DateInput
from gvi.mapping.models import Group, Incident
from interventions.models import EnforcementAction, EnforcementRound

# The incidents offered as the trigger of a round: the last twelve months of the user's own map.
INCIDENT_DAYS = 365
# A select with more options than this is unusable; the newest are offered.
INCIDENT_LIMIT = 200


class RoundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *EnforcementRound.Status.choices]
    )

    def status_value(self) -> str:
        """The status to filter on; an invalid one (a hand-edited URL) is ignored, never an error."""
        return self.cleaned_data["status"] if self.is_valid() else ""


class VersionedForm(forms.Form):
    """A change posted with the version the page was read at (a stale or double submit is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def _version_last(self) -> None:
        self.fields["version"] = self.fields.pop("version")


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class IncidentChoiceField(IdsChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        local = timezone.localtime(obj.occurred_at)
        where = obj.district or obj.place
        return f"{local:%Y-%m-%d} · {obj.get_kind_display()} · {where}"


def recent_incidents(user: Staff) -> QuerySet[Incident]:
    """The incidents offered: those of the user's own map in the last twelve months, newest first."""
    since = timezone.now() - timedelta(days=INCIDENT_DAYS)
    return access.visible(user, Incident).filter(occurred_at__gte=since).order_by("-occurred_at", "-id")


class RoundForm(VersionedForm):
    """Start a round, or change an active one: the group (at start only), the reason, the summary for the
    agencies asked to act, the start date and the incidents behind it."""

    group = GroupChoiceField(
        queryset=Group.objects.none(),
        label=_("Group"),
        empty_label=_("Choose the group"),
        help_text=_("The whole group the round is directed at."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why the round is started. Seen by the police only."),
    )
    summary = forms.CharField(
        label=_("Summary for the agencies asked to act"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What Kriminalvården and other agencies asked to act see. Name no persons and no intelligence."),
    )
    started_on = BoundedDateField(label=_("Started on"), widget=DateInput)
    incidents = IncidentChoiceField(
        queryset=Incident.objects.none(),
        label=_("Incidents that triggered it"),
        required=False,
        help_text=_(
            "Incidents of the last twelve months on your map, newest first. Hold Ctrl (Cmd on a Mac) to choose several."
        ),
    )

    def __init__(
        self, *args: Any, user: Staff, starting: bool = True, current: Sequence[int] = (), **kwargs: Any
    ) -> None:
        """`starting`: the group is chosen (and there is no version yet); a round's group stays once started.
        `current`: the ids of the incidents the round names already, offered even when older than a year."""
        super().__init__(*args, **kwargs)
        if starting:
            group_field = self.fields["group"]
            assert isinstance(group_field, forms.ModelChoiceField)
            group_field.queryset = access.visible(user, Group).order_by("name", "id")
            del self.fields["version"]
        else:
            del self.fields["group"]
        incidents_field = self.fields["incidents"]
        assert isinstance(incidents_field, IdsChoiceField)
        newest = recent_incidents(user).values("pk")[:INCIDENT_LIMIT]
        incidents_field.queryset = Incident.objects.filter(
            Q(pk__in=newest) | Q(pk__in=access.visible(user, Incident).filter(pk__in=list(current)).values("pk"))
        ).order_by("-occurred_at", "-id")
        if not starting:
            self._version_last()

    def clean_started_on(self) -> date:
        started_on: date = self.cleaned_data["started_on"]
        if started_on > timezone.localdate():
            raise ValidationError(_("A round starts today or earlier."))
        return started_on


class RoundEndForm(VersionedForm):
    ended_on = BoundedDateField(label=_("Ended on"), widget=DateInput)
    evaluation = forms.CharField(
        label=_("Evaluation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the round achieved and what followed. Seen by the police only."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._version_last()


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ActionForm(VersionedForm):
    """Log an action of a round (the acting agency or an outside authority), or change a planned one (its
    kind, date and description: the acting agency stays)."""

    kind = forms.ChoiceField(label=_("Action"), choices=[("", _("Choose the action")), *EnforcementAction.Kind.choices])
    acted_on = BoundedDateField(label=_("Date"), widget=DateInput)
    acting_agency = AgencyChoiceField(
        queryset=Agency.objects.none(),
        label=_("Acting agency"),
        required=False,
        empty_label=_("An outside authority (name it below)"),
        help_text=_("Kriminalvården, when asked to act, sees the round's summary and its own actions only."),
    )
    external_agency = forms.CharField(
        label=_("Outside authority"),
        max_length=120,
        required=False,
        help_text=_("For example Kronofogden or Skatteverket. For those two, leave it empty: their name is filled in."),
    )
    description = forms.CharField(
        label=_("What is to be done"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by the acting agency. Name no intelligence."),
    )

    def __init__(self, *args: Any, agencies: Sequence[Agency] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if agencies is None:
            # Changing a planned action: the acting agency stays (remove the action and add another).
            del self.fields["acting_agency"]
            del self.fields["external_agency"]
            self._version_last()
        else:
            agency_field = self.fields["acting_agency"]
            assert isinstance(agency_field, forms.ModelChoiceField)
            agency_field.queryset = Agency.objects.filter(pk__in=[agency.pk for agency in agencies]).order_by(
                "kind", "name"
            )
            del self.fields["version"]


RESULT_CHOICES = [
    ("", _("Choose the outcome")),
    (EnforcementAction.Status.DONE.value, EnforcementAction.Status.DONE.label),
    (EnforcementAction.Status.NOT_DONE.value, EnforcementAction.Status.NOT_DONE.label),
]


class ActionResultForm(VersionedForm):
    status = forms.ChoiceField(label=_("Outcome"), choices=RESULT_CHOICES)
    result = forms.CharField(label=_("Result"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    acted_on = BoundedDateField(
        label=_("Date"),
        widget=DateInput,
        required=False,
        help_text=_("The day it was carried out, or the day it was called off. Leave empty to keep the planned date."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._version_last()

    def clean_acted_on(self) -> date | None:
        acted_on: date | None = self.cleaned_data["acted_on"]
        if acted_on is not None and acted_on > timezone.localdate():
            raise ValidationError(_("The date of the action cannot be in the future."))
        return acted_on
