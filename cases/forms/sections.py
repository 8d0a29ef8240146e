"""Forms of the section and journal pages. They validate input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import JournalNote
from cases.models.sections import SECTION_KINDS
from cases.services.sections import SECTION_FIELDS
from gvi.accounts.models import Role, Staff
from gvi.accounts.selectors import staff_with_role
from gvi.mapping.forms import DateInput


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


def probation_officers(user: Staff) -> QuerySet[Staff]:
    """The probation officers of the user's own agency (program structure, not case data)."""
    return staff_with_role(agency_id=user.agency_id, role=Role.PROBATION_OFFICER)


class SectionForm(forms.Form):
    """The editable fields of one kind of section (services.sections.SECTION_FIELDS), labelled and
    validated as the model declares them."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, kind: str, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model, _note = SECTION_KINDS[kind]
        for name in SECTION_FIELDS[kind]:
            model_field = model._meta.get_field(name)
            if name == "probation_officer":
                field: forms.Field = StaffChoiceField(
                    queryset=probation_officers(user),
                    required=False,
                    label=_("Probation officer"),
                    empty_label=_("No probation officer yet"),
                    help_text=_("A probation officer of your own agency; they get access to the section."),
                )
            else:
                formfield = model_field.formfield()  # type: ignore[union-attr]
                assert formfield is not None
                field = formfield
                if isinstance(field, forms.DateField):
                    field.widget = DateInput()
                elif isinstance(field.widget, forms.Textarea):
                    field.widget.attrs["rows"] = 4
            self.fields[name] = field
        # The version travels last, hidden.
        self.fields["version"] = self.fields.pop("version")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the supervision must be on or after its start."))
        return data


class NoteForm(forms.Form):
    """A new journal note; a correction names the note it corrects (chosen among the section's notes)."""

    text = forms.CharField(
        label=_("Note"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Notes cannot be changed or deleted later. To correct one, add a correction."),
    )
    corrects: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("A correction must refer to a note of this section.")},
    )

    def __init__(self, *args: Any, notes: QuerySet[JournalNote], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        corrects = self.fields["corrects"]
        assert isinstance(corrects, forms.ModelChoiceField)
        corrects.queryset = notes
