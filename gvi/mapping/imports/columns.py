"""The columns of the import files, and the words accepted for each choice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from gvi.mapping.models import Confidence, Gmi, IncidentKind, MemberRole

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


class ImportKind(StrEnum):
    INCIDENTS = "incidents"
    MEMBERSHIPS = "memberships"


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str | Promise
    example: str
    required: bool = False
    imported: bool = True


INCIDENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "police_case_number",
        gettext_lazy("Police case number. A row whose number is already registered is skipped."),
        "5000-K12345-24",
    ),
    Column(
        "occurred_at",
        gettext_lazy("Date and time, Swedish local time (YYYY-MM-DD HH:MM)."),
        "2024-05-17 21:40",
        required=True,
    ),
    Column(
        "kind",
        gettext_lazy("shooting, explosion or other (also skjutning, sprängning, annat)."),
        "shooting",
        required=True,
    ),
    Column("place", gettext_lazy("Address or place."), "Ystadvägen 12", required=True),
    Column("district", gettext_lazy("Area or district."), "Rosengård"),
    Column("latitude", gettext_lazy("Latitude in decimal degrees (WGS 84), with longitude."), "55.5843"),
    Column("longitude", gettext_lazy("Longitude in decimal degrees (WGS 84), with latitude."), "13.0315"),
    Column("killed", gettext_lazy("Number of people killed (empty = 0)."), "0"),
    Column("injured", gettext_lazy("Number of people injured (empty = 0)."), "1"),
    Column(
        "gmi",
        gettext_lazy("Group member involved: confirmed, suspected or none (also bekräftad, misstänkt, ingen)."),
        "suspected",
    ),
    Column(
        "groups",
        gettext_lazy("Groups involved, by name, separated by ; or |. Each must be a group on your map."),
        "Grupp Falken; Grupp Vargen",
    ),
    Column("notes", gettext_lazy("Notes."), ""),
)

MEMBERSHIP_COLUMNS: tuple[Column, ...] = (
    Column("group", gettext_lazy("The group's name, as on your map."), "Grupp Falken", required=True),
    Column(
        "person",
        gettext_lazy("Identity number (YYYYMMDD-NNNN) of a person in your agency's records. Or use person_id."),
        "20030412-1234",
    ),
    Column("person_id", gettext_lazy("The person's record number, instead of the identity number."), "17"),
    Column(
        "person_name",
        gettext_lazy("The person's name. Written by the export for reading; not imported."),
        "Sven Exempel",
        imported=False,
    ),
    Column(
        "role",
        gettext_lazy("leader, member or associate (also ledare, medlem, associerad). Empty = member."),
        "member",
    ),
    Column(
        "confidence",
        gettext_lazy("confirmed, probable or possible (also bekräftad, trolig, möjlig)."),
        "probable",
        required=True,
    ),
    Column("source", gettext_lazy("Where the information comes from."), "spaning", required=True),
    Column("valid_from", gettext_lazy("Member from (YYYY-MM-DD)."), "2024-01-15", required=True),
    Column("valid_to", gettext_lazy("Member until (YYYY-MM-DD), empty while it lasts."), ""),
    Column("last_confirmed", gettext_lazy("Last confirmed (YYYY-MM-DD). Empty = today."), "2024-05-01"),
    Column(
        "review_due",
        gettext_lazy("Review date (YYYY-MM-DD). Empty = twelve months after the last confirmation."),
        "",
    ),
)

COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.INCIDENTS: INCIDENT_COLUMNS,
    ImportKind.MEMBERSHIPS: MEMBERSHIP_COLUMNS,
}

# Text columns whose values could start like a spreadsheet formula.
TEXT_COLUMNS = frozenset(
    {"police_case_number", "place", "district", "groups", "notes", "group", "person_name", "source"}
)


# --------------------------------------------------------------------------------------------------
# Choices: the stored value, the English label and the Swedish words


def _choice_words(
    choices: Iterable[tuple[str, Any]], swedish: dict[str, str], extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Accepted spellings (case-folded) -> stored value: the value, its English label, the Swedish words."""
    words: dict[str, str] = {}
    with translation.override("en"):
        for value, label in choices:
            words[value.casefold()] = value
            words[str(label).casefold()] = value
    for word, value in {**swedish, **(extra or {})}.items():
        words[word.casefold()] = value
    return words


def kind_words() -> dict[str, str]:
    return _choice_words(
        IncidentKind.choices,
        {
            "skjutning": "shooting",
            "sprängning": "explosion",
            "explosion": "explosion",
            "annat": "other",
            "annat grovt våld": "other",
        },
    )


def gmi_words() -> dict[str, str]:
    return _choice_words(
        Gmi.choices, {"bekräftad": "confirmed", "misstänkt": "suspected", "ingen": "none", "nej": "none"}
    )


def role_words() -> dict[str, str]:
    return _choice_words(
        MemberRole.choices,
        {"ledare": "leader", "medlem": "member", "associerad": "associate", "närstående": "associate"},
    )


def confidence_words() -> dict[str, str]:
    return _choice_words(Confidence.choices, {"bekräftad": "confirmed", "trolig": "probable", "möjlig": "possible"})
