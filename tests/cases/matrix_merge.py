"""Permission-matrix rows for merging two records of the same person (page and API).

Only the roles the access table lets merge (police coordinator and analyst, exit coordinator) may, and
only records of their own agency that they may change: Sara may change her own records but her role
does not merge (404); Karin and Nils hold records but may not merge either. The rows that merge remove
an unnamed demo record (Petra's "Dino Marković", Sara's "Kevin Lindqvist"), never a shared scope object;
each matrix case runs in its own transaction, so the merge is rolled back afterwards.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from cases.models import Person
from tests.cases.matrix import PERSON_SUBJECTS
from tests.matrix import OK, Row, only, register

POLICE = "malmo_police_person"
SOCIAL = "malmo_social_person"

# Scope objects (names in gvi.demo.build_demo) these rows rely on; test_out_of_scope_objects_exist checks them.
SUBJECTS: tuple[str, ...] = (POLICE, SOCIAL)

# Who may merge into each scope person: the merging roles of the agency that holds it.
MERGES = {
    "malmo_police_person": ("petra", "anders"),
    "malmo_social_person": ("erik",),
    "malmo_field_team_person": ("erik",),
    "malmo_probation_person": (),
    "orebro_person": (),
}
# The unnamed demo record of the same agency each merge row removes: (creator, given name, family name).
REMOVED = {POLICE: ("petra", "Dino", "Marković"), SOCIAL: ("sara", "Kevin", "Lindqvist")}


def _removed(world: dict[str, Any], subject: str) -> Person:
    creator, given, family = REMOVED[subject]
    return Person.objects.get(owner_agency_id=world[creator].agency_id, given_name=given, family_name=family)


def _choose(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"action": "choose", "remove": _removed(world, subject).pk}


def _merge(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"action": "merge", "remove": _removed(world, subject).pk, "keep_version": world[subject].version}


def _search(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"action": "search", "term": REMOVED[subject][1]}


def _api_merge(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"remove": _removed(world, subject).pk, "keep_version": world[subject].version}


for subject in PERSON_SUBJECTS:
    register(Row("cases:person-merge", "GET", subject, only(dict.fromkeys(MERGES[subject], OK))))

for subject in (POLICE, SOCIAL):
    allowed = only(dict.fromkeys(MERGES[subject], OK))
    register(
        Row("cases:person-merge", "POST", subject, allowed, data=partial(_search, subject=subject)),
        Row("cases:person-merge", "POST", subject, allowed, data=partial(_choose, subject=subject)),
        Row("cases:person-merge", "POST", subject, allowed, data=partial(_merge, subject=subject)),
        Row(
            "api:person-merge",
            "POST",
            subject,
            allowed,
            data=partial(_api_merge, subject=subject),
            content_type="application/json",
        ),
    )
