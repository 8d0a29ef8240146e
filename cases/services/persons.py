"""Writes to the person record itself: identity, contact details, aliases, guardians, photo."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from cases.identity import parse_identity_number
from cases.models import Guardian, Person, PersonAlias
from cases.models.persons import CONTACT_FIELDS
from cases.names import search_key
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned
from gvi.uploads import MB, named, sniff

__all__ = ["CONTACT_FIELDS", "EDITABLE_FIELDS"]


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
    *CONTACT_FIELDS,
)
PHOTO_MAX_BYTES = 5 * MB


def refresh_search_key(person: Person) -> None:
    """Keep the folded names and aliases that search looks in up to date (after any change to them)."""
    aliases = list(PersonAlias.objects.filter(person_id=person.pk).values_list("name", flat=True))
    person.search_key = search_key(person.given_name, person.family_name, *aliases)
    Person.objects.filter(pk=person.pk).update(search_key=person.search_key)


def contact_visible(user: Staff, person: Person) -> bool:
    """Contact details of a person with protected identity are for the owning caseworker only."""
    return not person.protected_identity or access.can(user, "view_contact", person)


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
    address: str = "",
    phone: str = "",
    email: str = "",
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
        address=address.strip(),
        phone=phone.strip(),
        email=email.strip(),
        created_by=actor,
        search_key=search_key(given_name, family_name),
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
    if not contact_visible(actor, person) and any(
        merged[f] != getattr(person, f) for f in (*CONTACT_FIELDS, "protected_identity")
    ):
        # Not shown to this user, so not theirs to overwrite; nor may they lift the protection to see them.
        raise ValidationError(
            {
                "protected_identity": _(
                    "Only the owning caseworker may change the contact details or the protection of a protected "
                    "identity."
                )
            }
        )
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
    refresh_search_key(fresh)
    # Field names only: the audit trail must not become a second copy of the data.
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=purpose, detail={"fields": changed})
    return fresh


def _minor_check(person: Person) -> None:
    if not person.may_be_minor():
        raise ValidationError(_("Guardians are recorded only for a person under 18."))


@transaction.atomic
def alias_add(*, actor: Staff, person: Person, name: str, kind: str = PersonAlias.Kind.ALIAS) -> PersonAlias:
    access.require(actor, "add", PersonAlias)
    access.require(actor, "change", person)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the alias.")})
    if person.aliases.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("The person already has this alias.")})
    alias = PersonAlias(person=person, name=name, kind=kind, created_by=actor)
    alias.full_clean(validate_constraints=False)
    save_new_unique(alias, field="name", message=_("The person already has this alias."))
    refresh_search_key(person)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=alias, purpose="casework", detail={"person": person.pk})
    return alias


@transaction.atomic
def alias_remove(*, actor: Staff, alias: PersonAlias) -> None:
    access.require(actor, "change", alias)
    audit_record(
        actor=actor, action=AuditAction.DELETE, obj=alias, purpose="casework", detail={"person": alias.person_id}
    )
    alias.delete()
    refresh_search_key(alias.person)


@transaction.atomic
def guardian_add(
    *,
    actor: Staff,
    person: Person,
    name: str,
    relation: str,
    phone: str = "",
    email: str = "",
    address: str = "",
) -> Guardian:
    access.require(actor, "add", Guardian)
    access.require(actor, "change", person)
    _minor_check(person)
    guardian = Guardian(
        person=person,
        name=name.strip(),
        relation=relation,
        phone=phone.strip(),
        email=email.strip(),
        address=address.strip(),
        created_by=actor,
    )
    guardian.full_clean()
    guardian.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=guardian, purpose="casework", detail={"person": person.pk})
    return guardian


@transaction.atomic
def guardian_remove(*, actor: Staff, guardian: Guardian) -> None:
    access.require(actor, "change", guardian)
    if guardian.consents.exists():
        raise ValidationError(_("This guardian gave a recorded consent and stays on record with it."))
    audit_record(
        actor=actor, action=AuditAction.DELETE, obj=guardian, purpose="casework", detail={"person": guardian.person_id}
    )
    guardian.delete()


@transaction.atomic
def person_photo_set(*, actor: Staff, person: Person, upload: UploadedFile) -> Person:
    access.require(actor, "change", person)
    try:
        kind = sniff(upload, ("jpeg", "png"), max_bytes=PHOTO_MAX_BYTES)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from None
    old = person.photo.name if person.photo else ""
    person.photo.save(named(upload, kind).name or "photo", upload, save=False)
    Person.objects.filter(pk=person.pk).update(photo=person.photo.name)
    if old:
        transaction.on_commit(lambda: person.photo.storage.delete(old))
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=person, purpose="casework", detail={"fields": ["photo"]})
    return person


@transaction.atomic
def person_photo_remove(*, actor: Staff, person: Person) -> Person:
    access.require(actor, "change", person)
    if person.photo:
        old = person.photo.name or ""
        storage = person.photo.storage
        Person.objects.filter(pk=person.pk).update(photo="")
        person.photo = ""
        transaction.on_commit(lambda: storage.delete(old))
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=person, purpose="casework", detail={"fields": ["photo"]}
        )
    return person
