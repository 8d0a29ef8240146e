"""Permission-matrix rows for exit cases and their entries (outreach/views/cases.py and entries.py).

An exit case is seen and changed by its responsible social worker and her team (Sara: her own case and
Erik's, who is in her team; not the field team's) and by the exit coordinator across the municipality
(Erik: the field team's case too). Contacts, threat assessments, relatives and measures follow their case:
the police, Kriminalvården, the program lead, the auditor and the admin get 404 on every one of them, and
Örebro's social worker sees only Örebro's case.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils import timezone

from tests.matrix import OK, Row, filtered, only, register

SUBJECTS: tuple[str, ...] = (
    "malmo_exit_case",
    "malmo_erik_case",
    "malmo_field_case",
    "orebro_exit_case",
    "malmo_contact",
    "malmo_relative",
    "malmo_measure",
    "malmo_threat",
)

CASE_SUBJECTS = ("malmo_exit_case", "malmo_erik_case", "malmo_field_case", "orebro_exit_case")
# case subject -> who sees and changes it
CASES: dict[str, tuple[str, ...]] = {
    "malmo_exit_case": ("sara", "erik"),
    "malmo_erik_case": ("sara", "erik"),
    "malmo_field_case": ("erik",),
    "orebro_exit_case": ("nils",),
}


def _today() -> str:
    return timezone.localdate().isoformat()


def _case_kwargs(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"pk": world[subject].pk}


def _phase(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"phase": "establish", "version": world[subject].version}


def _close(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"outcome": "completed", "closed_on": _today(), "closing_note": "Matrix.", "version": world[subject].version}


def _contact(_world: dict[str, Any]) -> dict[str, Any]:
    return {"contact_on": _today(), "channel": "phone", "duration_minutes": 15, "note": "Matrix contact."}


def _threat(_world: dict[str, Any]) -> dict[str, Any]:
    return {"level": "low", "summary": "Matrix.", "assessed_on": _today(), "review_on": _today()}


def _relative(_world: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Matrix Relative", "relation": "sibling", "threat_level": "low"}


def _measure(_world: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "work", "status": "planned", "starts_on": _today(), "provider": "Matrix"}


for subject, who in CASES.items():
    allowed = only(dict.fromkeys(who, OK))
    kwargs = partial(_case_kwargs, subject=subject)
    register(Row("outreach:case-detail", "GET", subject, allowed, url_kwargs=kwargs))
    if subject == "orebro_exit_case":
        continue
    register(
        Row("outreach:case-phase", "POST", subject, allowed, url_kwargs=kwargs, data=partial(_phase, subject=subject)),
        Row("outreach:case-close", "GET", subject, allowed, url_kwargs=kwargs),
        Row("outreach:case-close", "POST", subject, allowed, url_kwargs=kwargs, data=partial(_close, subject=subject)),
        Row("outreach:contact-create", "POST", subject, allowed, url_kwargs=kwargs, data=_contact),
        Row("outreach:threat-create", "GET", subject, allowed, url_kwargs=kwargs),
        Row("outreach:threat-create", "POST", subject, allowed, url_kwargs=kwargs, data=_threat),
        Row("outreach:relative-create", "GET", subject, allowed, url_kwargs=kwargs),
        Row("outreach:relative-create", "POST", subject, allowed, url_kwargs=kwargs, data=_relative),
        Row("outreach:measure-create", "GET", subject, allowed, url_kwargs=kwargs),
        Row("outreach:measure-create", "POST", subject, allowed, url_kwargs=kwargs, data=_measure),
    )

register(
    Row(
        "outreach:case-list",
        "GET",
        None,
        only(
            {
                "sara": filtered("malmo_exit_case", "malmo_erik_case"),
                "erik": filtered("malmo_exit_case", "malmo_erik_case", "malmo_field_case"),
                "nils": filtered("orebro_exit_case"),
            }
        ),
        list_subjects=CASE_SUBJECTS,
    ),
)


def _contact_edit(world: dict[str, Any]) -> dict[str, Any]:
    contact = world["malmo_contact"]
    return {
        "contact_on": contact.contact_on.isoformat(),
        "channel": contact.channel,
        "duration_minutes": contact.duration_minutes,
        "note": "Matrix correction.",
        "next_step": contact.next_step,
        "follow_up_on": contact.follow_up_on.isoformat() if contact.follow_up_on else "",
        "version": contact.version,
    }


def _relative_edit(world: dict[str, Any]) -> dict[str, Any]:
    relative = world["malmo_relative"]
    data = {
        "name": relative.name,
        "relation": relative.relation,
        "threat_level": relative.threat_level,
        "phone": relative.phone,
        "address": relative.address,
        "note": "Matrix.",
        "version": relative.version,
    }
    if relative.protected_identity:
        data["protected_identity"] = "on"
    return data


def _measure_edit(world: dict[str, Any]) -> dict[str, Any]:
    measure = world["malmo_measure"]
    return {
        "kind": measure.kind,
        "status": "ongoing",
        "provider": measure.provider,
        "starts_on": measure.starts_on.isoformat(),
        "ends_on": measure.ends_on.isoformat() if measure.ends_on else "",
        "note": measure.note,
        "from_municipality": measure.from_municipality,
        "to_municipality": measure.to_municipality,
        "moved_on": measure.moved_on.isoformat() if measure.moved_on else "",
        "cost": str(measure.cost) if measure.cost is not None else "",
        "version": measure.version,
    }


# The Malmö case's entries: Sara (responsible) and Erik (coordinator); everyone else 404.
ENTRY_ALLOWED = only({"sara": OK, "erik": OK})
register(
    Row("outreach:contact-edit", "GET", "malmo_contact", ENTRY_ALLOWED),
    Row("outreach:contact-edit", "POST", "malmo_contact", ENTRY_ALLOWED, data=_contact_edit),
    Row("outreach:relative-detail", "GET", "malmo_relative", ENTRY_ALLOWED),
    Row("outreach:relative-edit", "GET", "malmo_relative", ENTRY_ALLOWED),
    Row("outreach:relative-edit", "POST", "malmo_relative", ENTRY_ALLOWED, data=_relative_edit),
    Row("outreach:measure-edit", "GET", "malmo_measure", ENTRY_ALLOWED),
    Row("outreach:measure-edit", "POST", "malmo_measure", ENTRY_ALLOWED, data=_measure_edit),
)
