"""Every write to the group map. Keyword-only, atomic, policy-checked, audited in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned
from gvi.dates import in_range, out_of_range_message
from gvi.mapping.models import (
    Group,
    GroupMembership,
    GroupRelation,
    Incident,
    IncidentInvolvement,
    review_date_after,
)
from gvi.mapping.signals import incident_corrected

PURPOSE = "group mapping"

GROUP_FIELDS = ("name", "aliases", "district", "status", "notes")
MEMBERSHIP_FIELDS = ("role", "confidence", "source", "valid_from", "valid_to", "last_confirmed", "review_due")
RELATION_FIELDS = ("kind", "intensity", "valid_from", "valid_to", "notes")
INCIDENT_FIELDS = (
    "kind",
    "occurred_at",
    "place",
    "district",
    "latitude",
    "longitude",
    "killed",
    "injured",
    "gmi",
    "police_case_number",
    "notes",
)


def _person_model() -> type[models.Model]:
    return apps.get_model("cases", "Person")


def _require_visible_persons(actor: Staff, person_ids: Iterable[int], *, field: str) -> None:
    """Persons on the map must be records the actor may see (the police agency's own records)."""
    wanted = set(person_ids)
    if not wanted:
        return
    found = set(access.visible(actor, _person_model()).filter(pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise ValidationError({field: _("Choose persons from your agency's own records.")})


def _require_visible_groups(actor: Staff, group_ids: Iterable[int], *, field: str) -> None:
    wanted = set(group_ids)
    if not wanted:
        return
    found = set(access.visible(actor, Group).filter(pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise ValidationError({field: _("Choose groups from your agency's map.")})


def _clean_aliases(aliases: Iterable[str] | str | None) -> str:
    if aliases is None:
        return ""
    if isinstance(aliases, str):
        aliases = aliases.split(",")
    return ", ".join(sorted({alias.strip() for alias in aliases if alias.strip()}))


def _check_changes(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")


def _changed(obj: models.Model, changes: dict[str, Any]) -> list[str]:
    return sorted(field for field, value in changes.items() if getattr(obj, field) != value)


def _validate(candidate: models.Model, exclude: list[str] | None = None) -> None:
    candidate.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def _group_name_taken() -> str:
    return _("Your agency already has a group with this name.")


def _group_name_free(actor: Staff, name: str, *, exclude_pk: int | None = None) -> None:
    clash = Group.objects.filter(owner_agency_id=actor.agency_id, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _group_name_taken()})


# --- Groups ------------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *,
    actor: Staff,
    name: str,
    aliases: Iterable[str] | str | None = None,
    district: str = "",
    status: str = "active",
    notes: str = "",
) -> Group:
    access.require(actor, "add", Group)
    name = name.strip()
    _group_name_free(actor, name)
    program_id, agency_id = actor.workplace
    group = Group(
        program_id=program_id,
        owner_agency_id=agency_id,
        name=name,
        aliases=_clean_aliases(aliases),
        district=district.strip(),
        status=status,
        notes=notes,
        created_by=actor,
    )
    group.full_clean(validate_unique=False)
    save_new_unique(group, field="name", message=_group_name_taken())
    audit_record(actor=actor, action=AuditAction.CREATE, obj=group, purpose=PURPOSE)
    access.grant_to_owner(group, actor=actor, basis="owner")
    return group


@transaction.atomic
def group_update(*, actor: Staff, group: Group, version: int, **changes: Any) -> Group:
    access.require(actor, "change", group)
    _check_changes(changes, GROUP_FIELDS)
    if "aliases" in changes:
        changes["aliases"] = _clean_aliases(changes["aliases"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _group_name_free(actor, changes["name"], exclude_pk=group.pk)
    _validate(Group(**{**_field_values(group), **changes}))
    changed = _changed(group, changes)
    fresh = update_versioned(group, expected_version=version, changes=changes)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    return fresh


def _field_values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


# --- Memberships -------------------------------------------------------------------------------


def _membership_dates(values: dict[str, Any]) -> dict[str, Any]:
    """Fill the review date from the last confirmation (default: twelve months after it)."""
    today = timezone.localdate()
    values.setdefault("last_confirmed", None)
    if values["last_confirmed"] is None:
        values["last_confirmed"] = today
    if values.get("review_due") is None:
        values["review_due"] = review_date_after(values["last_confirmed"])
    if values["review_due"] <= values["last_confirmed"]:
        raise ValidationError({"review_due": _("The review date must come after the last confirmation.")})
    if values.get("valid_to") and values["valid_to"] < values["valid_from"]:
        raise ValidationError({"valid_to": _("The end date must be on or after the start date.")})
    return values


@transaction.atomic
def membership_add(
    *,
    actor: Staff,
    group: Group,
    person: models.Model,
    confidence: str,
    source: str,
    valid_from: date,
    role: str = "member",
    valid_to: date | None = None,
    last_confirmed: date | None = None,
    review_due: date | None = None,
    purpose: str = PURPOSE,
) -> GroupMembership:
    access.require(actor, "add", GroupMembership)
    access.require(actor, "change", group)
    _require_visible_persons(actor, [person.pk], field="person")
    values = _membership_dates(
        {
            "role": role,
            "confidence": confidence,
            "source": source.strip(),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "last_confirmed": last_confirmed,
            "review_due": review_due,
        }
    )
    membership = GroupMembership(group=group, person_id=person.pk, **values)
    membership.full_clean(validate_constraints=False)
    membership.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=membership,
        purpose=purpose,
        detail={"group": group.pk, "person": person.pk},
    )
    return membership


@transaction.atomic
def membership_update(*, actor: Staff, membership: GroupMembership, version: int, **changes: Any) -> GroupMembership:
    """Change a membership (end it by giving `valid_to`). Raises StaleVersion when someone saved in between."""
    access.require(actor, "change", membership)
    _check_changes(changes, MEMBERSHIP_FIELDS)
    merged = {field: changes.get(field, getattr(membership, field)) for field in MEMBERSHIP_FIELDS}
    if "last_confirmed" in changes and "review_due" not in changes:
        merged["review_due"] = None
    merged = _membership_dates(merged)
    _validate(GroupMembership(**{**_field_values(membership), **merged}), exclude=["person", "group"])
    changed = _changed(membership, merged)
    fresh = update_versioned(membership, expected_version=version, changes=merged)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    return fresh


@transaction.atomic
def membership_reconfirm(
    *, actor: Staff, membership: GroupMembership, confidence: str | None = None, source: str | None = None
) -> GroupMembership:
    """Confirm a membership today: the next review falls twelve months from now."""
    changes: dict[str, Any] = {"last_confirmed": timezone.localdate()}
    if confidence:
        changes["confidence"] = confidence
    if source:
        changes["source"] = source
    return membership_update(actor=actor, membership=membership, version=membership.version, **changes)


# --- Relations ---------------------------------------------------------------------------------


@transaction.atomic
def relation_add(
    *,
    actor: Staff,
    group: Group,
    other_group: Group,
    kind: str,
    valid_from: date,
    intensity: int = 2,
    valid_to: date | None = None,
    notes: str = "",
) -> GroupRelation:
    access.require(actor, "add", GroupRelation)
    access.require(actor, "change", group)
    _require_visible_groups(actor, [other_group.pk], field="other_group")
    if other_group.pk == group.pk:
        raise ValidationError({"other_group": _("A relation is between two different groups.")})
    if valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end date must be on or after the start date.")})
    relation = GroupRelation(
        group=group,
        other_group=other_group,
        kind=kind,
        intensity=intensity,
        valid_from=valid_from,
        valid_to=valid_to,
        notes=notes,
    )
    relation.full_clean(validate_constraints=False)
    relation.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=relation,
        purpose=PURPOSE,
        detail={"groups": [group.pk, other_group.pk]},
    )
    return relation


@transaction.atomic
def relation_update(*, actor: Staff, relation: GroupRelation, version: int, **changes: Any) -> GroupRelation:
    access.require(actor, "change", relation)
    _check_changes(changes, RELATION_FIELDS)
    merged = {field: changes.get(field, getattr(relation, field)) for field in RELATION_FIELDS}
    if merged["valid_to"] and merged["valid_to"] < merged["valid_from"]:
        raise ValidationError({"valid_to": _("The end date must be on or after the start date.")})
    _validate(GroupRelation(**{**_field_values(relation), **merged}), exclude=["group", "other_group"])
    changed = _changed(relation, merged)
    fresh = update_versioned(relation, expected_version=version, changes=merged)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    return fresh


# --- Incidents ---------------------------------------------------------------------------------


def _case_number_free(actor: Staff, number: str, *, exclude_pk: int | None = None) -> None:
    if not number:
        return
    clash = Incident.objects.filter(owner_agency_id=actor.agency_id, police_case_number=number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"police_case_number": _case_number_taken()})


def _case_number_taken() -> str:
    return _("An incident with this police case number is already registered.")


def _incident_values(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    for field in ("place", "district", "police_case_number"):
        if field in values and isinstance(values[field], str):
            values[field] = values[field].strip()
    for field in ("latitude", "longitude"):
        if values.get(field) is not None and not isinstance(values[field], Decimal):
            values[field] = Decimal(str(values[field]))
    occurred_at = values.get("occurred_at")
    if isinstance(occurred_at, datetime) and timezone.is_naive(occurred_at):
        values["occurred_at"] = timezone.make_aware(occurred_at)
    if isinstance(values.get("occurred_at"), datetime) and not in_range(values["occurred_at"]):
        raise ValidationError({"occurred_at": out_of_range_message()})
    if isinstance(values.get("occurred_at"), datetime) and values["occurred_at"] > timezone.now():
        raise ValidationError({"occurred_at": _("The incident cannot be in the future.")})
    return values


@transaction.atomic
def incident_create(
    *,
    actor: Staff,
    groups: Iterable[Group] = (),
    involvements: Iterable[tuple[models.Model, str]] = (),
    purpose: str = PURPOSE,
    **fields: Any,
) -> Incident:
    access.require(actor, "add", Incident)
    _check_changes(fields, INCIDENT_FIELDS)
    values = _incident_values(fields)
    _case_number_free(actor, values.get("police_case_number", ""))
    groups = list(groups)
    involvements = list(involvements)
    _require_visible_groups(actor, [g.pk for g in groups], field="groups")
    _require_visible_persons(actor, [p.pk for p, _role in involvements], field="involvements")
    program_id, agency_id = actor.workplace
    incident = Incident(program_id=program_id, owner_agency_id=agency_id, created_by=actor, **values)
    incident.full_clean(validate_constraints=False)
    save_new_unique(incident, field="police_case_number", message=_case_number_taken())
    incident.groups.set(groups)
    IncidentInvolvement.objects.bulk_create(
        IncidentInvolvement(incident=incident, person_id=person.pk, role=role) for person, role in involvements
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=incident, purpose=purpose)
    access.grant_to_owner(incident, actor=actor, basis="owner")
    return incident


@transaction.atomic
def incident_update(
    *, actor: Staff, incident: Incident, version: int, groups: Iterable[Group] | None = None, **changes: Any
) -> Incident:
    access.require(actor, "change", incident)
    _check_changes(changes, INCIDENT_FIELDS)
    changes = _incident_values(changes)
    if "police_case_number" in changes:
        _case_number_free(actor, changes["police_case_number"], exclude_pk=incident.pk)
    _validate(Incident(**{**_field_values(incident), **changes}))
    changed = _changed(incident, changes)
    fresh = update_versioned(incident, expected_version=version, changes=changes)
    if groups is not None:
        groups = list(groups)
        _require_visible_groups(actor, [g.pk for g in groups], field="groups")
        if set(fresh.groups.values_list("pk", flat=True)) != {g.pk for g in groups}:
            changed.append("groups")
        fresh.groups.set(groups)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    if changed:
        incident_corrected.send(sender=Incident, actor=actor, incident=fresh, before=incident, fields=changed)
    return fresh


@transaction.atomic
def involvement_add(*, actor: Staff, incident: Incident, person: models.Model, role: str) -> IncidentInvolvement:
    """Record a person's part in an incident. Never creates a membership, whatever the role."""
    access.require(actor, "change", incident)
    _require_visible_persons(actor, [person.pk], field="person")
    if IncidentInvolvement.objects.filter(incident=incident, person_id=person.pk, role=role).exists():
        raise ValidationError({"person": _("This person is already recorded in this role.")})
    involvement = IncidentInvolvement(incident=incident, person_id=person.pk, role=role)
    involvement.full_clean(validate_constraints=False)
    involvement.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=involvement,
        purpose=PURPOSE,
        detail={"incident": incident.pk, "person": person.pk},
    )
    return involvement


@transaction.atomic
def involvement_remove(*, actor: Staff, involvement: IncidentInvolvement) -> None:
    access.require(actor, "change", involvement)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=involvement,
        purpose=PURPOSE,
        detail={"incident": involvement.incident_id},
    )
    involvement.delete()


def membership_cull(*, actor: Staff, record: GroupMembership) -> None:
    """Remove a membership that lapsed or ended longer ago than the rule (gvi.retention culls and audits). No
    shadow copy: once culled it is gone from the map, lists, search, exports and reports."""
    access.require(actor, "cull", record)
    record.delete()


def involvement_cull(*, actor: Staff, record: IncidentInvolvement) -> None:
    """Remove who was involved in an incident (victim, suspect, witness) once the rule's time after the incident
    has passed (gvi.retention culls and audits). The incident stays, without names, for the statistics."""
    access.require(actor, "cull", record)
    record.delete()
