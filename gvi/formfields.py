"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from gvi.api import MAX_ID
from gvi.dates import in_range, out_of_range_message


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of records by id that turns anything but a plausible id into the field's own
    "invalid choice" error before the database sees it (a huge number would overflow SQLite's integers)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            text = str(pk)
            if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
                )
        return super()._check_values(value)  # type: ignore[misc]


class BoundedDateField(forms.DateField):
    """A date within the system's span (gvi.dates): year 1 or 9999 is a field error, never a stored date that
    breaks sorting, the timeline or a report later."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not in_range(value):
            raise ValidationError(out_of_range_message(), code="out_of_range")
