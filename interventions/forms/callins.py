"""Forms of the call-in pages. They validate input; the services (interventions.services.callins) decide and
write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Person
from gvi import access
from gvi.accounts.models import Role, Staff
from gvi.dates import in_range, out_of_range_message
from gvi.formfields import IdsChoiceField
from gvi.mapping.forms import DateTimeLocalInput
from gvi.mapping.models import Group
from gvi.pages import translated_labels
from interventions.models import CallIn, CallInInvitation, Segment


class CallInFilterForm(forms.Form):
    """The filters of the call-in list: upcoming or past, and the status."""

    when = forms.ChoiceField(
        label=_("When"),
        required=False,
        choices=[("", _("Upcoming and past")), ("upcoming", _("Upcoming")), ("past", _("Past"))],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *CallIn.Status.choices]
    )

    def values(self) -> dict[str, str]:
        """The filters to apply; an invalid filter (a hand-edited URL) is ignored, never an error."""
        if not self.is_bound or not self.is_valid():
            return {"when": "", "status": ""}
        return {"when": self.cleaned_data["when"], "status": self.cleaned_data["status"]}


class GroupsChoiceField(IdsChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CallInForm(forms.Form):
    """Schedule a call-in, or change a planned one: when, where, for which groups."""

    starts_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeLocalInput)
    place = forms.CharField(label=_("Place"), max_length=200)
    groups = GroupsChoiceField(
        queryset=Group.objects.none(),
        label=_("Target groups"),
        help_text=_(
            "The invitees are chosen among the active members of these groups. Hold Ctrl (Cmd on a Mac) to "
            "choose several."
        ),
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the police only: the booking of the room, security, practical matters."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups_field = self.fields["groups"]
        assert isinstance(groups_field, IdsChoiceField)
        groups_field.queryset = access.visible(user, Group).order_by("name", "id")

    def clean_starts_at(self) -> Any:
        starts_at = self.cleaned_data["starts_at"]
        if not in_range(starts_at):
            raise ValidationError(out_of_range_message())
        return starts_at

    def values(self) -> dict[str, Any]:
        """The arguments of call_in_create / call_in_update."""
        return {key: self.cleaned_data[key] for key in ("starts_at", "place", "groups", "notes")}


class CallInStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(CallIn.Status.HELD, _("Held")), (CallIn.Status.CANCELLED, _("Cancelled"))]
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class SpeakerForm(forms.Form):
    """A speaker in one segment: a staff member of the program, or a community speaker by name."""

    segment = forms.ChoiceField(label=_("Segment"), choices=Segment.choices)
    staff = forms.TypedChoiceField(
        label=_("Staff member"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Or leave empty and write the name of a community speaker below."),
    )
    name = forms.CharField(
        label=_("Community speaker's name"),
        max_length=200,
        required=False,
        help_text=_("A relative of a victim, a former member, a faith or civil-society voice. They get no account."),
    )
    organisation = forms.CharField(label=_("Organisation or role"), max_length=200, required=False)
    order = forms.IntegerField(label=_("Order in the segment"), min_value=1, max_value=99, initial=1)

    def __init__(self, *args: Any, staff: Sequence[Staff], **kwargs: Any) -> None:
        self.staff_by_id = {member.pk: member for member in staff}
        super().__init__(*args, **kwargs)
        staff_field = self.fields["staff"]
        assert isinstance(staff_field, forms.TypedChoiceField)
        roles = translated_labels(Role)
        staff_field.choices = [
            ("", _("A community speaker (no account)")),
            *((member.pk, f"{member.get_full_name()} ({roles.get(member.role, member.role)})") for member in staff),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "staff" in data and "name" in data and (data["staff"] is None) == (not data["name"].strip()):
            raise ValidationError(_("Choose a staff member or write the community speaker's name (one of them)."))
        return data

    def values(self) -> dict[str, Any]:
        """The arguments of speaker_add."""
        data = self.cleaned_data
        return {
            "segment": data["segment"],
            "staff": self.staff_by_id.get(data["staff"]) if data["staff"] is not None else None,
            "name": data["name"],
            "organisation": data["organisation"],
            "order": data["order"],
        }


class InviteForm(forms.Form):
    """Whom to invite among the candidates (active members of the target groups not invited yet)."""

    persons = forms.TypedMultipleChoiceField(
        label=_("Invitees"),
        coerce=int,
        error_messages={"required": _("Choose whom to invite.")},
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: Sequence[Person], **kwargs: Any) -> None:
        self.candidates = {person.pk: person for person in candidates}
        super().__init__(*args, **kwargs)
        persons_field = self.fields["persons"]
        assert isinstance(persons_field, forms.TypedMultipleChoiceField)
        persons_field.choices = [(person.pk, person.full_name) for person in candidates]

    def chosen(self) -> list[Person]:
        return [self.candidates[pk] for pk in self.cleaned_data["persons"]]


ATTENDANCE_CHOICES = [
    (CallInInvitation.Status.ATTENDED, _("Attended")),
    (CallInInvitation.Status.LEFT_EARLY, _("Left early")),
    (CallInInvitation.Status.ABSENT, _("Absent")),
]


class AttendanceForm(forms.Form):
    """One status per invitation of a held call-in: attended, left early or absent."""

    def __init__(self, *args: Any, invitations: Sequence[CallInInvitation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitations = list(invitations)
        for invitation in self.invitations:
            self.fields[self.field_name(invitation)] = forms.ChoiceField(
                label=invitation.person.full_name,
                choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect,
                initial=invitation.status if invitation.status in CallInInvitation.AFTER else None,
                error_messages={"required": _("Choose attended, left early or absent.")},
            )

    @staticmethod
    def field_name(invitation: CallInInvitation) -> str:
        return f"status_{invitation.pk}"

    def rows(self) -> list[tuple[CallInInvitation, forms.BoundField]]:
        return [(invitation, self[self.field_name(invitation)]) for invitation in self.invitations]

    def statuses(self) -> dict[int, str]:
        """The argument of attendance_record: {invitation id: status}."""
        return {invitation.pk: self.cleaned_data[self.field_name(invitation)] for invitation in self.invitations}
