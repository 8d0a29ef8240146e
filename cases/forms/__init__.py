from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.identity import parse_identity_number
from cases.models.persons import CONTACT_FIELDS


class PersonForm(forms.Form):
    """The person's identity and contact details. Without `contact` (a protected identity the user may
    not see the address of) the contact fields are neither shown nor submitted, and neither is the
    protection itself: lifting it would show the user what it hides."""

    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    identity_number = forms.CharField(
        label=_("Personnummer / samordningsnummer"),
        max_length=13,
        required=False,
        help_text=_("YYYYMMDD-NNNN. Leave empty if unknown and give the birth year."),
    )
    birth_year = forms.IntegerField(label=_("Birth year"), required=False, min_value=1900)
    protected_identity = forms.BooleanField(label=_("Protected identity (skyddad identitet)"), required=False)
    interpreter_language = forms.CharField(label=_("Interpreter language"), max_length=50, required=False)
    address = forms.CharField(
        label=_("Address"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, contact: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not contact:
            for field in (*CONTACT_FIELDS, "protected_identity"):
                self.fields.pop(field)

    def clean_identity_number(self) -> str | None:
        raw = self.cleaned_data["identity_number"].strip()
        if not raw:
            return None
        return parse_identity_number(raw).canonical

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data["birth_year"]
        if year is not None and year > timezone.localdate().year:
            raise ValidationError(_("The birth year cannot be in the future."))
        return year

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("identity_number") and not data.get("birth_year") and not self.errors:
            raise ValidationError(_("Give the identity number or at least the birth year."))
        return data


class PersonSearchForm(forms.Form):
    term = forms.CharField(label=_("Name or identity number"), max_length=100, required=False)


class NewPersonConfirmForm(forms.Form):
    """Shown with the records that may be the same person: registering a new one anyway is a choice the
    user makes, not a default."""

    confirm_new = forms.BooleanField(label=_("None of these: register a new person"), required=False)
