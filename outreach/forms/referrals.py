"""Forms of the referral pages. They validate input; the services decide (the consent gate among it) and
write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.forms.sharing import ConsentChoiceField
from cases.models import Consent, LegalBasis
from gvi.accounts.models import Agency, Staff, Team
from gvi.formfields import BoundedDateField
from gvi.mapping.forms import DateInput
from outreach.models import Referral, Urgency
from outreach.services.referrals import OWN_SOURCES


class ReferralFilterForm(forms.Form):
    """The filters of the received referrals: by status, or only those still open."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Referral.Status.choices]
    )
    open = forms.BooleanField(label=_("Open only"), required=False)

    def values(self) -> dict[str, Any]:
        """The filters to apply; an invalid filter (a hand-edited URL) is ignored, never an error."""
        if not self.is_valid():
            return {"status": "", "open_only": False}
        return {"status": self.cleaned_data["status"], "open_only": self.cleaned_data["open"]}


class ReferralForm(forms.Form):
    """A referral of the user's own agency's record of a person to a municipality's exit program.

    To another agency (the police, Kriminalvården, another municipality): the legal basis and, for
    consent, the consent that covers the receiving agency (the consent gate). Within the user's own
    municipality: who referred (a school, the person ...) and when it was received.
    """

    receiving_agency = forms.TypedChoiceField(label=_("Receiving municipality"), coerce=int)
    receiving_team = forms.TypedChoiceField(
        label=_("Receiving team"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "Usually the exit team. Without a team, only those whose role covers the whole municipality "
            "(the exit coordinators) see the referral."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the referral"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the person wants and what you know of the risk. Never shown back to the referrer."),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)

    def __init__(
        self,
        *args: Any,
        user: Staff,
        receivers: Sequence[Agency],
        teams: Sequence[Team],
        consents: QuerySet[Consent],
        **kwargs: Any,
    ) -> None:
        self.agencies = {agency.pk: agency for agency in receivers}
        self.teams = {team.pk: team for team in teams if team.agency_id in self.agencies}
        self.user_agency_id = user.agency_id
        own = user.agency_id in self.agencies
        # What this user may do: refer within their own municipality, to another agency, or both.
        self.may_refer_own = own
        self.may_refer_across = any(pk != user.agency_id for pk in self.agencies)
        initial = kwargs.setdefault("initial", {})
        if own:
            initial.setdefault("receiving_agency", user.agency_id)
            if user.team_id in self.teams:
                initial.setdefault("receiving_team", user.team_id)
        elif len(self.agencies) == 1:
            initial.setdefault("receiving_agency", next(iter(self.agencies)))
        super().__init__(*args, **kwargs)
        agency_field = self.fields["receiving_agency"]
        assert isinstance(agency_field, forms.TypedChoiceField)
        agency_field.choices = [(agency.pk, agency.name) for agency in receivers]
        team_field = self.fields["receiving_team"]
        assert isinstance(team_field, forms.TypedChoiceField)
        team_field.choices = [
            ("", _("No team: the whole municipality")),
            *((team.pk, f"{self.agencies[team.agency_id].name}: {team.name}") for team in self.teams.values()),
        ]
        if self.may_refer_across:
            self.fields["legal_basis"] = forms.ChoiceField(
                label=_("Legal basis for sharing the identity"),
                required=False,
                choices=[("", _("Choose the legal basis")), *LegalBasis.choices],
                help_text=(
                    _("Only for a referral to another municipality: it shares the person's identity with it.")
                    if own
                    else _(
                        "A referral to another agency shares the person's identity with it. Consent must be "
                        "recorded on the person's page first and must cover the receiving municipality."
                    )
                ),
            )
            consent_field = ConsentChoiceField(
                queryset=consents,
                required=False,
                label=_("Consent"),
                empty_label=_("No consent (another legal basis)"),
                help_text=_("When the legal basis is consent: the person's consent that covers the receiving agency."),
            )
            self.fields["consent"] = consent_field
        if own:
            self.fields["source"] = forms.ChoiceField(
                label=_("Referred by"),
                choices=[(source.value, source.label) for source in OWN_SOURCES],
                initial=Referral.Source.SOCIAL_SERVICES,
                help_text=_("Who referred the person to your own municipality's exit program."),
            )
            self.fields["referrer_name"] = forms.CharField(
                label=_("Referrer (school or other contact)"),
                max_length=200,
                required=False,
                help_text=_(
                    "For a school or another referrer without an account: who referred, and how to reach them."
                ),
            )
            self.fields["received_on"] = BoundedDateField(
                label=_("Received on"),
                required=False,
                widget=DateInput,
                initial=timezone.localdate,
                help_text=_("Today unless the referral came in earlier."),
            )

    def clean_receiving_agency(self) -> Agency:
        pk = self.cleaned_data["receiving_agency"]
        return self.agencies[pk]

    def clean_receiving_team(self) -> Team | None:
        pk = self.cleaned_data.get("receiving_team")
        return self.teams[pk] if pk is not None else None

    def values(self) -> dict[str, Any]:
        """The service's keyword arguments: only the fields that apply to where the referral goes."""
        data = dict(self.cleaned_data)
        across = data["receiving_agency"].pk != self.user_agency_id
        values: dict[str, Any] = {
            "receiving_agency": data["receiving_agency"],
            "receiving_team": data.get("receiving_team"),
            "reason": data["reason"],
            "urgency": data["urgency"],
        }
        if across:
            values["legal_basis"] = data.get("legal_basis") or ""
            values["consent"] = data.get("consent")
        else:
            values["source"] = data.get("source") or ""
            values["referrer_name"] = data.get("referrer_name") or ""
            values["received_on"] = data.get("received_on")
        return values


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReferralAssessForm(VersionForm):
    assessment = forms.CharField(
        label=_("Assessment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The exit team's assessment. Never shown to the referrer, who sees only the status."),
    )


class ReferralDecideForm(VersionForm):
    DECISIONS = (("accept", _("Accept")), ("decline", _("Decline")))

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    decline_reason = forms.CharField(
        label=_("Reason for declining"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to decline. The referrer sees only that the referral was declined."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "decline" and not (data.get("decline_reason") or "").strip():
            self.add_error("decline_reason", _("Say why the referral is declined."))
        return data

    def values(self) -> dict[str, Any]:
        accept = self.cleaned_data["decision"] == "accept"
        return {"accept": accept, "decline_reason": "" if accept else self.cleaned_data["decline_reason"]}


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class ReferralOpenCaseForm(VersionForm):
    responsible = StaffChoiceField(
        queryset=None,
        label=_("Responsible social worker"),
        help_text=_("Who holds the exit case; the case is shared with their team."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidates
        # The version travels last, hidden.
        self.fields["version"] = self.fields.pop("version")
