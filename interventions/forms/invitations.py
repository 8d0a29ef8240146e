"""Forms of the invitation pages. They validate input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from interventions.models import CallIn, CallInInvitation
from outreach.forms.referrals import ReferralForm


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def status_choices(call_in: CallIn) -> list[tuple[str, Any]]:
    """The statuses the police may set now: confirmed before the call-in is held; attended, left early or
    absent once it was (interventions.services.invitation_set_status decides)."""
    status = CallInInvitation.Status
    wanted: tuple[CallInInvitation.Status, ...] = (status.INVITED, status.CONFIRMED)
    if call_in.status == CallIn.Status.HELD:
        wanted = (status.ATTENDED, status.LEFT_EARLY, status.ABSENT)
    return [(value.value, value.label) for value in wanted]


class InvitationStatusForm(VersionForm):
    status = forms.ChoiceField(label=_("Status"))

    def __init__(self, *args: Any, call_in: CallIn, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = status_choices(call_in)
        self.fields["version"] = self.fields.pop("version")


class InvitationHelpForm(VersionForm):
    asked_for_help = forms.BooleanField(label=_("Asked for help"), required=False)
    help_note = forms.CharField(
        label=_("What they asked for"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Work, housing, school, moving away, protection ... Cleared when “asked for help” is unticked."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"] = self.fields.pop("version")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("help_note") or "").strip() and not data.get("asked_for_help"):
            self.add_error("asked_for_help", _("Tick “asked for help” to record what they asked for."))
        return data


class InvitationReferralForm(ReferralForm):
    """The referral form of outreach (receiving municipality and team, reason, legal basis and consent: the
    consent gate) for an invitee who asked for help. The referral goes from the police to another agency,
    so the urgency stays normal and the own-municipality fields never apply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["urgency"]

    def values(self) -> dict[str, Any]:
        """The keyword arguments of interventions.services.invitation_refer."""
        self.cleaned_data.setdefault("urgency", "")
        values = super().values()
        return {
            key: values.get(key)
            for key in ("receiving_agency", "receiving_team", "reason", "legal_basis", "consent")
            if key in values
        }
