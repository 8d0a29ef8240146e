"""Permission-matrix rows for agency sections, journal notes, shares and reports of concern.

Sections are seen in full by their agency as far as the role's scope reaches; the probation section is
also seen as a SUMMARY by the police team it was shared with (malmo_share), who may not edit it or add
notes. A share is seen by its sender (who alone revokes it) and its recipients (who alone link it); an
ended share is the sender's only. A report of concern is handled by the municipality that received it;
the sender's team sees only its status.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.utils import timezone

from tests.matrix import OK, Row, filtered, only, register

SUBJECTS: tuple[str, ...] = (
    "malmo_police_section",
    "malmo_social_section",
    "malmo_field_team_section",
    "malmo_probation_section",
    "orebro_section",
    "malmo_police_minor",
    "malmo_minor_person",
    "malmo_probation_person",
    "malmo_police_person",
    "malmo_share",
    "malmo_revoked_share",
    "malmo_concern",
)

# section subject -> (kind, who sees it in full (and may change it), who sees only its summary)
SECTIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "malmo_police_section": ("police", ("petra", "anders"), ()),
    "malmo_social_section": ("social", ("sara", "erik"), ()),
    "malmo_field_team_section": ("social", ("erik",), ()),
    "malmo_probation_section": ("probation", ("karin",), ("petra", "anders")),
    "orebro_section": ("social", ("nils",), ()),
}


def _section_kwargs(world: dict[str, Any], subject: str, kind: str) -> dict[str, Any]:
    return {"kind": kind, "pk": world[subject].pk}


def _section_data(world: dict[str, Any], subject: str) -> dict[str, Any]:
    section = world[subject]
    values: dict[str, Any] = {"version": section.version}
    if section.kind == "police":
        values |= {"risk_level": "acute", "notes": "Matrix edit."}
    elif section.kind == "social":
        values |= {"notes": "Matrix edit."}
    else:
        values |= {
            "supervision_type": "probation",
            "period_start": "",
            "period_end": "",
            "probation_officer": section.probation_officer_id or "",
            "conditions": "Matrix edit.",
        }
    return values


for subject, (kind, full, summary) in SECTIONS.items():
    url_kwargs = partial(_section_kwargs, subject=subject, kind=kind)
    changers = only(dict.fromkeys(full, OK))
    register(
        Row("cases:section-detail", "GET", subject, only(dict.fromkeys((*full, *summary), OK)), url_kwargs=url_kwargs),
        Row("cases:section-edit", "GET", subject, changers, url_kwargs=url_kwargs),
        Row(
            "cases:section-edit",
            "POST",
            subject,
            changers,
            url_kwargs=url_kwargs,
            data=partial(_section_data, subject=subject),
        ),
        Row("cases:note-add", "GET", subject, changers, url_kwargs=url_kwargs),
        Row("cases:note-add", "POST", subject, changers, url_kwargs=url_kwargs, data=lambda w: {"text": "Matrix."}),
    )


def _fixed(_world: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)


# Persons without a section of the kind: who may open one.
for subject, kind, who, data in (
    ("malmo_police_minor", "police", ("petra", "anders"), {"risk_level": "low", "notes": ""}),
    ("malmo_minor_person", "social", ("sara", "erik"), {"notes": "Matrix."}),
):
    url_kwargs = partial(_section_kwargs, subject=subject, kind=kind)
    allowed = only(dict.fromkeys(who, OK))
    register(
        Row("cases:section-create", "GET", subject, allowed, url_kwargs=url_kwargs),
        Row(
            "cases:section-create",
            "POST",
            subject,
            allowed,
            url_kwargs=url_kwargs,
            data=partial(_fixed, data=data),
        ),
    )


# --- Shares --------------------------------------------------------------------------------------


def _share_data(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": "identity",
        "scope": "summary",
        "receiving_agency": world["sara"].agency_id,
        "legal_basis": "osl_10_2",
        "purpose": "Matrix",
        "note_to_recipient": "Matrix.",
        "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }


SHARE_SENDERS = {"malmo_share": ("karin",), "malmo_revoked_share": ("sara", "erik")}
# An ended share is no longer seen by its recipients.
SHARE_RECIPIENTS = {"malmo_share": ("petra", "anders"), "malmo_revoked_share": ()}

register(
    Row("cases:share-create", "GET", "malmo_probation_person", only({"karin": OK})),
    Row("cases:share-create", "POST", "malmo_probation_person", only({"karin": OK}), data=_share_data),
    Row(
        "cases:shares-received",
        "GET",
        None,
        only(
            {
                "petra": filtered("malmo_share"),
                "anders": filtered("malmo_share"),
                **{name: filtered() for name in ("sara", "erik", "karin", "nils")},
            }
        ),
        list_subjects=("malmo_share", "malmo_revoked_share"),
    ),
)
for subject, senders in SHARE_SENDERS.items():
    recipients = SHARE_RECIPIENTS[subject]
    register(
        Row("cases:share-detail", "GET", subject, only(dict.fromkeys((*senders, *recipients), OK))),
        Row("cases:share-revoke", "GET", subject, only(dict.fromkeys(senders, OK))),
        Row("cases:share-revoke", "POST", subject, only(dict.fromkeys(senders, OK))),
        Row("cases:share-link", "GET", subject, only(dict.fromkeys(recipients, OK))),
        Row(
            "cases:share-link",
            "POST",
            subject,
            only(dict.fromkeys(recipients, OK)),
            data=lambda w: {"action": "link", "person": w["malmo_police_person"].pk},
        ),
    )


# --- Reports of concern --------------------------------------------------------------------------


def _concern_data(world: dict[str, Any]) -> dict[str, Any]:
    return {"receiving_agency": world["sara"].agency_id, "concern": "Matrix.", "reporter_phone": "010-000 00 00"}


RECEIVERS = only({"sara": OK, "erik": OK})

register(
    Row("cases:concern-create", "GET", "malmo_police_minor", only({"petra": OK, "anders": OK})),
    Row("cases:concern-create", "POST", "malmo_police_minor", only({"petra": OK, "anders": OK}), data=_concern_data),
    Row("cases:concern-create", "GET", "malmo_minor_person", RECEIVERS),
    Row("cases:concern-create", "POST", "malmo_minor_person", RECEIVERS, data=_concern_data),
    Row(
        "cases:concern-list",
        "GET",
        None,
        only({"sara": filtered("malmo_concern"), "erik": filtered("malmo_concern"), "nils": filtered()}),
        list_subjects=("malmo_concern",),
    ),
    # The sender's team (Petra, Anders) sees the status; the municipality's social services all of it.
    Row("cases:concern-detail", "GET", "malmo_concern", only(dict.fromkeys(("petra", "anders", "sara", "erik"), OK))),
    Row("cases:concern-receive", "POST", "malmo_concern", RECEIVERS),
    Row("cases:concern-assess", "GET", "malmo_concern", RECEIVERS),
    Row(
        "cases:concern-assess",
        "POST",
        "malmo_concern",
        RECEIVERS,
        data=lambda w: {
            "outcome": "no_investigation",
            "assessment": "Matrix.",
            "version": w["malmo_concern"].version,
        },
    ),
)
