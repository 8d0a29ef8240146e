"""Forms for the parts of a person record: photo, aliases, guardians, consents.

File types and sizes are checked by the services (by the file's first bytes); these forms only collect.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Guardian, Person, PersonAlias, ShareSubject
from gvi.accounts.models import Agency
from gvi.accounts.selectors import other_agencies
from gvi.formfields import IdsChoiceField
from gvi.mapping.forms import DateInput

CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("A JPEG or PNG image of at most 5 MB."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,.jpg,.jpeg,.png"}),
    )


class AliasForm(forms.Form):
    name = forms.CharField(label=_("Alias or nickname"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonAlias.Kind.choices, initial=PersonAlias.Kind.ALIAS)


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    relation = forms.ChoiceField(label=_("Relation"), choices=Guardian.Relation.choices)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConsentForm(forms.Form):
    """Which agencies of the person's program may receive which parts, and for a child which guardians
    consented."""

    given_on = forms.DateField(label=_("Given on"), widget=DateInput)
    recipients = IdsChoiceField(
        label=_("Agencies that may receive"),
        queryset=Agency.objects.none(),
        widget=CHECKBOXES,
        error_messages={"invalid_choice": _("Choose other agencies of this program.")},
    )
    subjects = forms.MultipleChoiceField(label=_("What may be shared"), choices=ShareSubject.choices, widget=CHECKBOXES)
    guardians = IdsChoiceField(
        label=_("Guardians who consented"),
        queryset=Guardian.objects.none(),
        required=False,
        widget=CHECKBOXES,
        error_messages={"invalid_choice": _("Choose guardians of this person.")},
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.FileField(
        label=_("Signed document"),
        required=False,
        help_text=_("Optional: the signed consent as PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, person: Person, guardians: QuerySet[Guardian], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"given_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        # The program's agencies are its structure, not case data; the owning agency does not receive.
        recipients: Any = self.fields["recipients"]
        recipients.queryset = other_agencies(program_id=person.program_id, excluding_agency_id=person.owner_agency_id)
        guardian_field: Any = self.fields["guardians"]
        guardian_field.queryset = guardians
        if person.may_be_minor():
            guardian_field.help_text = _("The person may be under 18: tick the guardians who consented as well.")


class ConsentRevokeForm(forms.Form):
    revoked_on = forms.DateField(
        label=_("Revoked on"),
        required=False,
        widget=DateInput,
        help_text=_("The day the person withdrew the consent; leave empty for today."),
    )
