"""The emergency access form: which kind of record, its number and why (gvi/accounts/emergency.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gvi.accounts.emergency import REASON_MAX_LENGTH, REASON_MIN_LENGTH, kind_name

MAX_RECORD_NUMBER = 2**63 - 1


class EmergencyAccessForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Kind of record"))
    object_id = forms.IntegerField(
        label=_("Record number"),
        min_value=1,
        max_value=MAX_RECORD_NUMBER,
        help_text=_("The number in the record's address, e.g. 42 in /persons/42/."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        min_length=REASON_MIN_LENGTH,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you need this record now. The auditor reads it."),
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [(label, str(kind_name(label)).capitalize()) for label in kinds]  # type: ignore[attr-defined]
