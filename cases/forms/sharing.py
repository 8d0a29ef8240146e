"""Forms of the share and report-of-concern pages. They validate input; the services decide and write."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import ConcernReport, Consent, LegalBasis, Person, Share, ShareSubject
from gvi.accounts.models import Agency, Team
from gvi.accounts.selectors import other_agencies, other_teams
from gvi.mapping.forms import DateInput

# A new share is valid this long unless the sender chooses otherwise.
DEFAULT_VALIDITY = timedelta(days=90)


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.agency.name}: {obj.name}"


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        agencies = ", ".join(agency.name for agency in obj.recipients.all())
        subjects = ", ".join(str(ShareSubject(s).label) for s in obj.subjects if s in ShareSubject.values)
        return _("Given %(date)s: %(subjects)s to %(agencies)s") % {
            "date": obj.given_on.isoformat(),
            "subjects": subjects,
            "agencies": agencies,
        }


def receiving_agencies(person: Person) -> QuerySet[Agency]:
    """The other agencies of the program (program structure, not case data)."""
    return other_agencies(program_id=person.program_id, excluding_agency_id=person.owner_agency_id)


def receiving_teams(person: Person) -> QuerySet[Team]:
    return other_teams(program_id=person.program_id, excluding_agency_id=person.owner_agency_id)


class ShareForm(forms.Form):
    subject = forms.ChoiceField(label=_("What to share"))
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=Share.Scope.choices,
        initial=Share.Scope.SUMMARY,
        help_text=_("Share as little as the purpose needs. An identity is always shared as a summary."),
    )
    receiving_agency: forms.ModelChoiceField[Agency] = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label=_("Receiving agency")
    )
    receiving_team = TeamChoiceField(
        queryset=None,
        required=False,
        label=_("Receiving team"),
        empty_label=_("No team: the whole agency"),
        help_text=_(
            "With a team named, only that team sees the share. Without one, only those at the receiving "
            "agency whose role covers the whole agency (coordinators) see it."
        ),
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=LegalBasis.choices,
        help_text=_(
            "OSL 10 kap. 18 a § covers only persons under 21: it is refused for a person who is 21 or older, "
            "or who may be (only the birth year is known)."
        ),
    )
    consent = ConsentChoiceField(
        queryset=None,
        required=False,
        label=_("Consent"),
        empty_label=_("No consent (another legal basis)"),
        help_text=_("Only when the legal basis is consent: the consent must cover this part for this agency."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    note_to_recipient = forms.CharField(
        label=_("Note to the recipient"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How to read what you share: what it shows and what it does not."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=DateInput,
        help_text=_("The last day the recipient sees it (at most a year ahead)."),
    )

    def __init__(
        self, *args: Any, person: Person, kinds: list[str], consents: QuerySet[Consent], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("valid_until", timezone.localdate() + DEFAULT_VALIDITY)
        super().__init__(*args, **kwargs)
        subject = self.fields["subject"]
        assert isinstance(subject, forms.ChoiceField)
        subject.choices = [(s.value, s.label) for s in ShareSubject if s == ShareSubject.IDENTITY or s in kinds]
        for name, queryset in (
            ("receiving_agency", receiving_agencies(person)),
            ("receiving_team", receiving_teams(person)),
            ("consent", consents),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset


class PersonLinkForm(forms.Form):
    """The recipient's own record to link a share to."""

    person: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a person from your agency's own records.")},
    )

    def __init__(self, *args: Any, persons: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = persons


class ConcernForm(forms.Form):
    receiving_agency = forms.TypedChoiceField(label=_("Social services of"), coerce=int)
    concern = forms.CharField(
        label=_("What you are concerned about"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you have seen or heard, when and where. Social services decide what follows."),
    )
    urgent = forms.BooleanField(label=_("Urgent: the child may be in danger now"), required=False)
    reporter_phone = forms.CharField(
        label=_("Phone number for questions"),
        max_length=40,
        help_text=_("Where social services can reach you about the report."),
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["receiving_agency"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(agency.pk, agency.name) for agency in agencies]
        self.agencies = {agency.pk: agency for agency in agencies}

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["receiving_agency"] = self.agencies[data["receiving_agency"]]
        return data


class ConcernAssessForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ConcernReport.Outcome.choices)
    assessment = forms.CharField(
        label=_("Assessment"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Never shown to the sender, who sees only that the report was received."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
