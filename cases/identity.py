"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import personnummer


@dataclass(frozen=True)
class IdentityNumber:
    """A validated number in the canonical 12-digit form YYYYMMDD-NNNN."""

    canonical: str
    birth_year: int
    is_coordination_number: bool


def parse_identity_number(raw: str) -> IdentityNumber:
    """Validate a personnummer or samordningsnummer (10 or 12 digits, check digit). Raises ValidationError."""
    value = raw.strip().replace(" ", "")
    digits = value.replace("-", "").replace("+", "")
    if not digits.isdigit() or len(digits) not in (10, 12):
        raise ValidationError(
            _("Enter an identity number as YYYYMMDD-NNNN (or YYMMDD-NNNN)."), code="identity_number_format"
        )
    # A samordningsnummer is a personnummer whose day is raised by 60; python-stdnum knows only the
    # latter, so the date is checked with the day lowered and the Luhn digit on the number as given.
    day = int(digits[-6:-4])
    is_coordination_number = day > 60
    as_personnummer = value
    if is_coordination_number:
        compact = personnummer.compact(value)
        as_personnummer = f"{compact[:-7]}{day - 60:02d}{compact[-5:]}"
    try:
        luhn.validate(digits[-10:])
        birth_date = personnummer.get_birth_date(as_personnummer)
    except StdnumError:
        raise ValidationError(
            _("This is not a valid personnummer or samordningsnummer (check the date and the last digit)."),
            code="identity_number_invalid",
        ) from None
    birth_digits = f"{birth_date:%Y%m}{day:02d}"
    return IdentityNumber(
        canonical=f"{birth_digits}-{digits[-4:]}",
        birth_year=birth_date.year,
        is_coordination_number=is_coordination_number,
    )


def looks_like_identity_number(term: str) -> bool:
    digits = "".join(ch for ch in term if ch.isdigit())
    return len(digits) >= 6 and len(digits) >= len(term.replace("-", "").replace(" ", "")) - 1
