from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gvi.audit.models import AuditAction, ReviewStatus
from gvi.audit.services import COMMENT_MAX


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("Action"), choices=[("", _("All")), *AuditAction.choices], required=False)
    object_type = forms.CharField(label=_("Object type"), max_length=100, required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date must be before the end date."))
        return data


class FindingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Review status"), choices=[("", _("All")), *ReviewStatus.choices], required=False
    )


class LogReviewForm(forms.Form):
    status = forms.ChoiceField(label=_("Review status"), choices=ReviewStatus.choices)
    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=COMMENT_MAX,
        required=False,
        help_text=_("Required when the finding was followed up: say what was done."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=150,
        help_text=_("Recorded with every revoke in the audit trail, e.g. “access review 2026 Q4: unused”."),
    )
