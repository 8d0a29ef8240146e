"""Permission-matrix rows for person search over the API (POST, JSON body).

Three agencies each hold their own record of Adam Karlsson (the same personnummer); a search by his name
or by his number, typed in any form, shows each searcher only their own agency's record; Nils (Örebro)
finds nothing of Malmö's, only Örebro's Rami Saleh; roles without person records get 404.
"""

from __future__ import annotations

from typing import Any

from tests.cases.matrix import LIST_ROLES, PERSON_SUBJECTS, SEES
from tests.matrix import Row, filtered, only, register

# Scope objects (names in gvi.demo.build_demo) these rows rely on; test_out_of_scope_objects_exist checks them.
SUBJECTS: tuple[str, ...] = PERSON_SUBJECTS


def _finds(*matching: str) -> dict[str, Any]:
    """Each searcher sees the matching scope persons they may see, and no other scope person."""
    return only(
        {name: filtered(*(s for s in matching if name in SEES[s])) for name in LIST_ROLES},
    )


ADAMS = ("malmo_police_person", "malmo_social_person", "malmo_probation_person")


def _adams_number_ten_digits(world: dict[str, Any]) -> dict[str, Any]:
    number: str = world["malmo_police_person"].identity_number
    return {"term": number[2:].replace("-", "")}


register(
    Row(
        "api:person-search",
        "POST",
        None,
        _finds(*ADAMS),
        list_subjects=PERSON_SUBJECTS,
        data=lambda w: {"term": "adam KARLSSON"},
        content_type="application/json",
    ),
    Row(
        "api:person-search",
        "POST",
        None,
        _finds(*ADAMS),
        list_subjects=PERSON_SUBJECTS,
        data=_adams_number_ten_digits,
        content_type="application/json",
    ),
    Row(
        "api:person-search",
        "POST",
        None,
        _finds("orebro_person"),
        list_subjects=PERSON_SUBJECTS,
        data=lambda w: {"term": "saleh", "sort": "-born"},
        content_type="application/json",
    ),
)
