"""Forms of the group-mapping pages. They validate input; the services decide and write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.dates import in_range, out_of_range_message
from gvi.mapping.models import (
    Confidence,
    Gmi,
    Group,
    GroupStatus,
    IncidentKind,
    Intensity,
    InvolvementRole,
    MemberRole,
    RelationKind,
)

# How many of the agency's persons a person select lists (by name); the rest are reached by number.
PERSON_CHOICES_LIMIT = 500
SMALLINT_MAX = 32767


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _choices_with_blank(choices: list[tuple[Any, Any]], blank: Any) -> list[tuple[Any, Any]]:
    return [("", blank), *choices]


def _visible_groups(user: Staff) -> QuerySet[Group]:
    return access.visible(user, Group).order_by("name", "id")


def _check_date_order(form: forms.Form, start: str, end: str, message: Any) -> None:
    data = form.cleaned_data
    if data.get(start) and data.get(end) and data[end] < data[start]:
        form.add_error(end, message)


# --- Persons -----------------------------------------------------------------------------------


class _LimitedPersonIterator(ModelChoiceIterator):
    """Lists the first persons by name; validation still accepts every person the user may see."""

    def _listed(self) -> list[Any]:
        assert isinstance(self.field, PersonChoiceField)
        return self.field.listed()

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._listed():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self._listed()) + (1 if self.field.empty_label is not None else 0)


class PersonChoiceField(forms.ModelChoiceField):
    iterator = _LimitedPersonIterator
    default_error_messages = {"invalid_choice": _("Choose a person from your agency's own records.")}

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.family_name}, {obj.given_name} ({obj.birth_year})"

    def listed(self) -> list[Any]:
        """The persons the picker lists, read once for the page (its options and its audit event share them)."""
        cached = getattr(self, "_listed", None)
        if cached is None or cached[0] is not self.queryset:
            assert self.queryset is not None
            cached = (self.queryset, list(self.queryset[:PERSON_CHOICES_LIMIT]))
            self._listed = cached
        return cached[1]


def person_choice_ids(form: forms.Form) -> list[int]:
    """The persons a form's picker lists, for the page's list audit event."""
    field = form.fields["person"]
    assert isinstance(field, PersonChoiceField)
    return [person.pk for person in field.listed()]


def _person_field(user: Staff) -> PersonChoiceField:
    persons = access.visible(user, Person).order_by("family_name", "given_name", "id")
    return PersonChoiceField(queryset=persons, label=_("Person"), empty_label=_("Choose a person"))


# --- Groups ------------------------------------------------------------------------------------


class GroupFilterForm(forms.Form):
    term = forms.CharField(label=_("Name or alias"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_choices_with_blank(GroupStatus.choices, _("All statuses"))
    )
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, *args: Any, districts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district_field = self.fields["district"]
        assert isinstance(district_field, forms.ChoiceField)
        district_field.choices = _choices_with_blank([(d, d) for d in districts], _("All districts"))


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    aliases = forms.CharField(
        label=_("Aliases"), max_length=300, required=False, help_text=_("Other names, separated by commas.")
    )
    district = forms.CharField(label=_("Area / district"), max_length=120, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=GroupStatus.choices, initial=GroupStatus.ACTIVE)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# --- Memberships -------------------------------------------------------------------------------


class MembershipForm(forms.Form):
    """Editing a membership: the person and group are fixed once it is recorded."""

    role = forms.ChoiceField(label=_("Role in group"), choices=MemberRole.choices, initial=MemberRole.MEMBER)
    confidence = forms.ChoiceField(label=_("Confidence"), choices=Confidence.choices)
    source = forms.CharField(label=_("Source"), max_length=200, help_text=_("Where the information comes from."))
    valid_from = forms.DateField(label=_("Member from"), widget=DateInput)
    valid_to = forms.DateField(
        label=_("Member until"), required=False, widget=DateInput, help_text=_("Give an end date to end it.")
    )
    last_confirmed = forms.DateField(label=_("Last confirmed"), widget=DateInput)
    review_due = forms.DateField(
        label=_("Review due"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for twelve months after the last confirmation."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_last_confirmed(self) -> date:
        confirmed: date = self.cleaned_data["last_confirmed"]
        if confirmed > timezone.localdate():
            raise ValidationError(_("The last confirmation cannot be in the future."))
        return confirmed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_date_order(self, "valid_from", "valid_to", _("The end date must be on or after the start date."))
        if data.get("review_due") and data.get("last_confirmed") and data["review_due"] <= data["last_confirmed"]:
            self.add_error("review_due", _("The review date must come after the last confirmation."))
        return data


class MembershipCreateForm(MembershipForm):
    field_order = ["person", "role", "confidence", "source", "valid_from", "valid_to", "last_confirmed", "review_due"]

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"] = _person_field(user)
        self.fields.pop("version")
        self.order_fields(self.field_order)


class ReconfirmForm(forms.Form):
    confidence = forms.ChoiceField(
        label=_("Confidence"),
        required=False,
        choices=_choices_with_blank(Confidence.choices, _("Unchanged")),
    )
    source = forms.CharField(
        label=_("Source"), max_length=200, required=False, help_text=_("Leave empty to keep the recorded source.")
    )


# --- Relations ---------------------------------------------------------------------------------


class RelationForm(forms.Form):
    """Editing a relation: the two groups are fixed once it is recorded."""

    kind = forms.ChoiceField(label=_("Kind"), choices=RelationKind.choices)
    intensity = forms.TypedChoiceField(
        label=_("Intensity"), choices=Intensity.choices, coerce=int, initial=Intensity.MEDIUM
    )
    valid_from = forms.DateField(label=_("From"), widget=DateInput)
    valid_to = forms.DateField(label=_("Until"), required=False, widget=DateInput)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_date_order(self, "valid_from", "valid_to", _("The end date must be on or after the start date."))
        return data


class RelationCreateForm(RelationForm):
    field_order = ["other_group", "kind", "intensity", "valid_from", "valid_to", "notes"]

    def __init__(self, *args: Any, user: Staff, group: Group, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other_group"] = forms.ModelChoiceField(
            queryset=_visible_groups(user).exclude(pk=group.pk),
            label=_("Other group"),
            empty_label=_("Choose a group"),
            error_messages={"invalid_choice": _("Choose another group from your agency's map.")},
        )
        self.fields.pop("version")
        self.order_fields(self.field_order)


# --- Incidents ---------------------------------------------------------------------------------


class IncidentFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From date"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To date"), required=False, widget=DateInput)
    kind = forms.MultipleChoiceField(
        label=_("Kind"),
        required=False,
        choices=IncidentKind.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    district = forms.CharField(label=_("District"), max_length=120, required=False)
    gmi = forms.ChoiceField(
        label=_("Group-member involved (GMI)"),
        required=False,
        choices=_choices_with_blank(Gmi.choices, _("Any")),
    )
    group = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        label=_("Group"),
        required=False,
        empty_label=_("All groups"),
        error_messages={"invalid_choice": _("Choose a group from your agency's map.")},
    )

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group_field = self.fields["group"]
        assert isinstance(group_field, forms.ModelChoiceField)
        # A filter needs the group's id and name only (a coordinator's map has hundreds of groups).
        group_field.queryset = _visible_groups(user).only("id", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_date_order(self, "date_from", "date_to", _("The to date must be on or after the from date."))
        return data


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices)
    occurred_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeLocalInput)
    place = forms.CharField(label=_("Place"), max_length=200)
    district = forms.CharField(label=_("District"), max_length=120, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=8, decimal_places=5, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=8, decimal_places=5, min_value=-180, max_value=180
    )
    killed = forms.IntegerField(label=_("Killed"), min_value=0, max_value=SMALLINT_MAX, initial=0)
    injured = forms.IntegerField(label=_("Injured"), min_value=0, max_value=SMALLINT_MAX, initial=0)
    gmi = forms.ChoiceField(label=_("Group-member involved (GMI)"), choices=Gmi.choices, initial=Gmi.NONE)
    police_case_number = forms.CharField(label=_("Police case number"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        label=_("Groups involved"),
        required=False,
        help_text=_("Hold Ctrl (Cmd on a Mac) to choose several."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups_field = self.fields["groups"]
        assert isinstance(groups_field, forms.ModelMultipleChoiceField)
        groups_field.queryset = _visible_groups(user)

    def clean_occurred_at(self) -> Any:
        occurred_at = self.cleaned_data["occurred_at"]
        if not in_range(occurred_at):
            raise ValidationError(out_of_range_message())
        if occurred_at > timezone.now():
            raise ValidationError(_("The incident cannot be in the future."))
        return occurred_at

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not self.errors:
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        return data


class InvolvementForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=InvolvementRole.choices)

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"] = _person_field(user)
        self.order_fields(["person", "role"])


# --- The network map ---------------------------------------------------------------------------


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput)
