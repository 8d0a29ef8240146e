"""The span of dates the system works in. Dates outside it are typing mistakes, and near the ends of
Python's calendar they overflow time-zone arithmetic; each edge (form, serializer, import) refuses them
with a clear message and every date filter clamps to it."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


def clamp(day: date) -> date:
    return min(max(day, EARLIEST), LATEST)


def out_of_range_message() -> str:
    return _("Give a date between %(earliest)s and %(latest)s.") % {"earliest": EARLIEST.year, "latest": LATEST.year}


def in_range(moment: date | datetime) -> bool:
    day = moment.date() if isinstance(moment, datetime) else moment
    return EARLIEST <= day <= LATEST
