"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
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


_SHAPE = re.compile(r"(?P<date>\d{6}|\d{8})(?P<sep>[-+]?)(?P<serial>\d{4})", re.ASCII)


def _invalid() -> ValidationError:
    return ValidationError(
        _("This is not a valid personnummer or samordningsnummer (check the date and the last digit)."),
        code="identity_number_invalid",
    )


def parse_identity_number(raw: str) -> IdentityNumber:
    """Validate a personnummer or samordningsnummer (10 or 12 digits, check digit). Raises ValidationError."""
    match = _SHAPE.fullmatch(raw.strip().replace(" ", ""))
    if match is None:
        raise ValidationError(
            _("Enter an identity number as YYYYMMDD-NNNN (or YYMMDD-NNNN)."), code="identity_number_format"
        )
    date_digits, separator, serial = match["date"], match["sep"] or "-", match["serial"]
    # A samordningsnummer is a personnummer whose day is raised by 60; python-stdnum knows only the
    # latter, so the date is read with the day lowered and the Luhn digit checked on the number as given.
    day = int(date_digits[-2:])
    is_coordination_number = day > 60
    as_personnummer = f"{date_digits[:-2]}{day - 60 if is_coordination_number else day:02d}{separator}{serial}"
    try:
        luhn.validate(date_digits[-6:] + serial)
        birth_date = personnummer.get_birth_date(as_personnummer)
    except StdnumError:
        raise _invalid() from None
    if birth_date > timezone.localdate():
        raise _invalid()
    return IdentityNumber(
        canonical=f"{birth_date:%Y%m}{day:02d}-{serial}",
        birth_year=birth_date.year,
        is_coordination_number=is_coordination_number,
    )


def looks_like_identity_number(term: str) -> bool:
    """A search term that is (mostly) digits is treated as an identity number: hashed in the audit trail."""
    digits = "".join(ch for ch in term if ch.isascii() and ch.isdigit())
    return len(digits) >= 6 and len(digits) >= len(term.replace("-", "").replace(" ", "")) - 1
