"""Writes to agency sections and their append-only journal notes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import JournalNote, Person, ProbationSection, Section
from cases.models.sections import SECTION_KINDS
from gvi import access
from gvi.accounts.models import Role, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned

PURPOSE = "casework"

# The fields a user edits, per kind (the bookkeeping and the person are the service's).
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "police": ("risk_level", "notes"),
    "social": ("notes",),
    "probation": ("supervision_type", "period_start", "period_end", "probation_officer", "conditions"),
}


def _check_officer(actor: Staff, values: dict[str, Any]) -> None:
    officer = values.get("probation_officer")
    if officer is not None and (officer.agency_id != actor.agency_id or officer.role != Role.PROBATION_OFFICER):
        raise ValidationError({"probation_officer": _("Choose a probation officer of your own agency.")})


def _grant_officer(section: Section, *, actor: Staff) -> None:
    """A probation section is also granted to its probation officer (the role's scope is their own)."""
    if isinstance(section, ProbationSection) and section.probation_officer_id:
        access.grant(section, to=section.probation_officer, actions=("view", "change"), basis="owner", actor=actor)  # type: ignore[arg-type]


@transaction.atomic
def section_create(*, actor: Staff, person: Person, kind: str, **values: Any) -> Section:
    """Open the agency's section of `kind` on its own record of the person (one per kind and record)."""
    if kind not in SECTION_KINDS:
        raise ValueError(f"unknown section kind {kind!r}")
    model, _note = SECTION_KINDS[kind]
    access.require(actor, "add", model)
    access.require(actor, "change", person)
    unknown = set(values) - set(SECTION_FIELDS[kind])
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if actor.agency is None or actor.agency.kind != model.agency_kind or person.owner_agency_id != actor.agency_id:
        raise ValidationError(_("Only the agency that keeps this kind of section can open it on its own record."))
    _check_officer(actor, values)
    if model._default_manager.filter(person=person).exists():
        raise ValidationError(_("This person already has this section."))
    section = model(program_id=person.program_id, owner_agency_id=person.owner_agency_id, person=person, **values)
    section.created_by = actor
    section.full_clean(validate_constraints=False)
    save_new_unique(section, field="person", message=_("This person already has this section."))
    audit_record(actor=actor, action=AuditAction.CREATE, obj=section, purpose=PURPOSE, detail={"person": person.pk})
    access.grant_to_owner(section, actor=actor, basis="owner")
    _grant_officer(section, actor=actor)
    return section


@transaction.atomic
def section_update(*, actor: Staff, section: Section, version: int, **changes: Any) -> Section:
    """Change a section's fields. Raises StaleVersion when someone saved in between."""
    access.require(actor, "change", section)
    fields = SECTION_FIELDS[section.kind]
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_officer(actor, changes)
    merged = {field: changes.get(field, getattr(section, field)) for field in fields}
    candidate = type(section)(
        **{**{f.attname: getattr(section, f.attname) for f in type(section)._meta.concrete_fields}, **merged}
    )
    candidate._state.adding = False  # the row itself must not count against "one section per person"
    candidate.full_clean(validate_unique=False)
    changed = sorted(field for field in fields if merged[field] != getattr(section, field))
    fresh = update_versioned(section, expected_version=version, changes=merged)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    if "probation_officer" in changed:
        # A probation officer sees their own clients: the officer taken off the client loses the section.
        former = getattr(section, "probation_officer", None)
        if former is not None:
            access.revoke(
                section, to=former, actions=("view", "change"), basis="probation officer changed", actor=actor
            )
        _grant_officer(fresh, actor=actor)
    return fresh


@transaction.atomic
def note_add(*, actor: Staff, section: Section, text: str, corrects: JournalNote | None = None) -> JournalNote:
    """Append a journal note; a correction names the note it corrects (which stays as written)."""
    _model, note_model = SECTION_KINDS[section.kind]
    access.require(actor, "add", note_model)
    access.require(actor, "change", section)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if corrects is not None and (not isinstance(corrects, note_model) or corrects.section_id != section.pk):  # type: ignore[attr-defined]
        raise ValidationError({"corrects": _("A correction must refer to a note of the same section.")})
    note = note_model(section=section, text=text, author=actor, corrects=corrects)  # type: ignore[misc]
    note.full_clean()
    note.save()
    # The section's "last entry" moves, for retention and sorting.
    type(section)._default_manager.filter(pk=section.pk).update(updated_at=note.created_at)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=note,
        purpose=PURPOSE,
        detail={"section": section.pk, "corrects": corrects.pk if corrects else None},
    )
    return note


def section_cull(*, actor: Staff, record: Section) -> None:
    """Remove a section whose retention period has ended, with its journal and its grants (gvi.retention culls
    and audits; nothing of the section is kept). The journal goes in one statement: a correction refers to the
    note it corrects (PROTECT keeps single notes from being deleted), and both go together here."""
    access.require(actor, "cull", record)
    _model, note_model = SECTION_KINDS[record.kind]
    notes = note_model._default_manager.filter(section=record)  # type: ignore[misc]
    notes._raw_delete(notes.db)
    record.delete()
