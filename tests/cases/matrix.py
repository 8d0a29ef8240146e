"""Permission-matrix rows for person case files (pages and API)."""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.matrix import NOT_FOUND, OK, Row, filtered, only, register

PERSON_SUBJECTS = (
    "malmo_police_person",
    "malmo_social_person",
    "malmo_field_team_person",
    "malmo_probation_person",
    "orebro_person",
)

# Who may open each scope person (view and change follow the same grants for persons).
SEES = {
    "malmo_police_person": ("petra", "anders"),
    "malmo_social_person": ("sara", "erik"),
    "malmo_field_team_person": ("erik",),
    "malmo_probation_person": ("karin",),
    "orebro_person": ("nils",),
}
LIST_ROLES = ("petra", "anders", "sara", "erik", "karin", "nils")
# Identity-only views through a share (the partial person page): Karin's probation summary share to the
# police team brings the police Adam's identity from Kriminalvården's record, nothing more.
SEES_IDENTITY = {"malmo_probation_person": ("petra", "anders")}


def _list_expectation() -> dict[str, Any]:
    return only({name: filtered(*(s for s, who in SEES.items() if name in who)) for name in LIST_ROLES})


def _edit_data(world: dict[str, Any], subject: str) -> dict[str, Any]:
    person = world[subject]
    return {
        "given_name": person.given_name,
        "family_name": person.family_name + "-Test",
        "identity_number": person.identity_number or "",
        "birth_year": person.birth_year,
        "interpreter_language": "arabiska",
        "version": person.version,
    }


def _put_data(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {k: v for k, v in _edit_data(world, subject).items() if k != "version"}


def _api_if_match(world: dict[str, Any], subject: str) -> dict[str, str]:
    person = world[subject]
    return {"If-Match": f'"{person.pk}-{person.version}"'}


NEW_PERSON = {"given_name": "Test", "family_name": "Testsson", "birth_year": 2004}

register(
    Row("cases:person-list", "GET", None, _list_expectation(), list_subjects=PERSON_SUBJECTS),
    Row(
        "cases:person-list",
        "POST",
        None,
        _list_expectation(),
        list_subjects=PERSON_SUBJECTS,
        data=lambda w: {"term": ""},
    ),
    Row("cases:person-create", "GET", None, only(dict.fromkeys(LIST_ROLES, OK))),
    Row("cases:person-create", "POST", None, only(dict.fromkeys(LIST_ROLES, OK)), data=lambda w: dict(NEW_PERSON)),
    Row("api:person-list", "GET", None, _list_expectation(), list_subjects=PERSON_SUBJECTS),
    Row(
        "api:person-list",
        "POST",
        None,
        only(dict.fromkeys(LIST_ROLES, OK)),
        data=lambda w: dict(NEW_PERSON),
        content_type="application/json",
    ),
)

for subject, who in SEES.items():
    allowed = only(dict.fromkeys(who, OK))
    identity = only(dict.fromkeys((*who, *SEES_IDENTITY.get(subject, ())), OK))
    register(
        Row("cases:person-detail", "GET", subject, identity),
        Row("cases:person-edit", "GET", subject, allowed),
        Row("cases:person-edit", "POST", subject, allowed, data=partial(_edit_data, subject=subject)),
        Row("api:person-detail", "GET", subject, identity),
        Row(
            "api:person-detail",
            "PATCH",
            subject,
            allowed,
            data=lambda w: {"interpreter_language": "somaliska"},
            headers=partial(_api_if_match, subject=subject),
            content_type="application/json",
        ),
        Row(
            "api:person-detail",
            "PUT",
            subject,
            allowed,
            data=partial(_put_data, subject=subject),
            headers=partial(_api_if_match, subject=subject),
            content_type="application/json",
        ),
    )

__all__ = ["NOT_FOUND", "PERSON_SUBJECTS"]
