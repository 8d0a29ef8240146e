"""Every write to person records. Keyword-only, atomic, policy-checked, audited in the same transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.identity import parse_identity_number
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned


def _identity_number_taken() -> str:
    # Uniqueness is per agency, so this tells the user only about their own agency's records.
    return _(
        "Your agency already has a record with this identity number. Search for it, or ask your coordinator for access."
    )


EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "identity_number",
    "birth_year",
    "protected_identity",
    "interpreter_language",
)


def _identity_fields(
    *, owner_agency_id: int, identity_number: str | None, birth_year: int | None, exclude_pk: int | None = None
) -> dict[str, Any]:
    """Validate the identity number and birth year together; returns the values to store."""
    if identity_number:
        identity = parse_identity_number(identity_number)
        if birth_year and birth_year != identity.birth_year:
            raise ValidationError({"birth_year": _("The birth year does not match the identity number.")})
        clash = Person.objects.filter(owner_agency_id=owner_agency_id, identity_number=identity.canonical)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            raise ValidationError({"identity_number": _identity_number_taken()})
        return {"identity_number": identity.canonical, "birth_year": identity.birth_year}
    if not birth_year:
        raise ValidationError({"birth_year": _("Give the identity number or at least the birth year.")})
    return {"identity_number": None, "birth_year": birth_year}


@transaction.atomic
def person_create(
    *,
    actor: Staff,
    given_name: str,
    family_name: str,
    identity_number: str | None = None,
    birth_year: int | None = None,
    protected_identity: bool = False,
    interpreter_language: str = "",
    purpose: str = "casework",
) -> Person:
    access.require(actor, "add", Person)
    program_id, agency_id = actor.workplace
    identity = _identity_fields(owner_agency_id=agency_id, identity_number=identity_number, birth_year=birth_year)
    person = Person(
        program_id=program_id,
        owner_agency_id=agency_id,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        protected_identity=protected_identity,
        interpreter_language=interpreter_language.strip(),
        created_by=actor,
        **identity,
    )
    person.full_clean(validate_constraints=False)
    save_new_unique(person, field="identity_number", message=_identity_number_taken())
    audit_record(actor=actor, action=AuditAction.CREATE, obj=person, purpose=purpose)
    access.grant_to_owner(person, actor=actor, basis="owner")
    return person


@transaction.atomic
def person_update(*, actor: Staff, person: Person, version: int, purpose: str = "casework", **changes: Any) -> Person:
    """Change a person's identity fields. Raises StaleVersion when someone saved in between."""
    access.require(actor, "change", person)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    merged = {field: changes.get(field, getattr(person, field)) for field in EDITABLE_FIELDS}
    merged.update(
        _identity_fields(
            owner_agency_id=person.owner_agency_id,
            identity_number=merged["identity_number"],
            birth_year=merged["birth_year"],
            exclude_pk=person.pk,
        )
    )
    merged["given_name"] = merged["given_name"].strip()
    merged["family_name"] = merged["family_name"].strip()
    candidate = Person(**{**{f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields}, **merged})
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    changed = sorted(field for field in EDITABLE_FIELDS if merged[field] != getattr(person, field))
    fresh = update_versioned(person, expected_version=version, changes=merged)
    # Field names only: the audit trail must not become a second copy of the data.
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=purpose, detail={"fields": changed})
    return fresh
