"""Every read of person records starts from the access policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from cases.identity import looks_like_identity_number, parse_identity_number
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff

PERSON_SORTS = {
    "name": ("family_name", "given_name", "id"),
    "-name": ("-family_name", "-given_name", "-id"),
    "born": ("birth_year", "id"),
    "-born": ("-birth_year", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def person_list(*, user: Staff, sort: str = "name", term: str = "") -> QuerySet[Person]:
    persons = access.visible(user, Person)
    term = term.strip()
    if term:
        if looks_like_identity_number(term):
            try:
                persons = persons.filter(identity_number=parse_identity_number(term).canonical)
            except ValidationError:
                persons = persons.none()
        else:
            for word in term.split()[:4]:
                persons = persons.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    return persons.order_by(*PERSON_SORTS.get(sort, PERSON_SORTS["name"]))


def person_recent(*, user: Staff, limit: int = 10) -> list[Person]:
    return list(access.visible(user, Person).order_by("-updated_at", "-id")[:limit])
