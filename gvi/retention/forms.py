from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gvi.retention.models import MAX_MONTHS, REASON_MIN_LENGTH


class RuleForm(forms.Form):
    months = forms.IntegerField(label=_("Months after the last entry"), max_value=MAX_MONTHS)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, min_months: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service checks the minimum (and says it as a field error); the browser is told too.
        self.fields["months"].widget.attrs.update({"min": min_months, "max": MAX_MONTHS})
        self.fields["months"].help_text = _("At least %(min)s months for this category.") % {"min": min_months}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        min_length=REASON_MIN_LENGTH,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example the investigation, court case or complaint, with its reference number."),
    )
