"""Merging two records of one agency that turn out to be the same person.

Every row of every app that points at the removed record moves to the kept one. The merge finds those
rows itself, from the foreign keys to Person (hidden ones too: sections and the group map declare no
reverse name), so an app added later is covered without changing this module. Only the removed record's
own grant rows go with it.

Unique constraints decide what cannot simply move: a row of the removed record that would repeat a row of
the kept one. Where that row states the same fact twice (the same alias, the same part in an incident) the
duplicate is dropped; anything else (two sections of one kind: their journals are append-only and cannot
be combined) refuses the merge, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, ForeignObjectRel, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.identity import parse_identity_number
from cases.models import Person, PersonMerge, Share
from cases.models.persons import CONTACT_FIELDS
from cases.models.sections import SECTION_KINDS
from cases.services.persons import refresh_search_key
from gvi import access
from gvi.accounts.models import Agency, Staff, Team
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion, update_versioned

PURPOSE = "casework"
# Rows whose duplicate states the same fact again: the removed record's copy is dropped, not moved.
SAME_FACT_TWICE = frozenset({"cases.personalias", "mapping.incidentinvolvement"})
# Identity fields filled on the kept record from the removed one where the kept record has none.
GAP_FIELDS = ("interpreter_language", *CONTACT_FIELDS)


@dataclass(frozen=True)
class Relation:
    """One foreign key to Person: the model holding it and the field."""

    model: type[models.Model]
    field: models.ForeignObject[Any, Any]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows_of(self, person: Person) -> models.QuerySet[Any]:
        return self.model._default_manager.filter(**{self.field.attname: person.pk})


@dataclass
class MergePlan:
    """What a merge of `remove` into `keep` would do: rows that move and duplicates dropped, by model label,
    and the conflicts that refuse it."""

    keep: Person
    remove: Person
    moves: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def rows(self, shown: dict[str, int]) -> list[tuple[str, int, int]]:
        """(what, how many move, how many duplicates are dropped) for the confirmation page, of the rows the
        viewer may see (`shown`: visible_moves)."""
        names = {relation.label: str(relation.model._meta.verbose_name_plural) for relation in person_relations()}
        duplicates = {label: n for label, n in self.duplicates.items() if label in shown}
        labels = sorted(set(shown) | set(duplicates), key=lambda label: names[label])
        return [
            (names[label], max(shown.get(label, 0) - duplicates.get(label, 0), 0), duplicates.get(label, 0))
            for label in labels
        ]


def person_relations() -> list[Relation]:
    """Every foreign key (or one-to-one) of every app that points at Person, but its grant tables.

    Hidden reverse relations (related_name="+") are included; a many-to-many to Person shows up as the
    foreign key of its through table."""
    relations = []
    for reverse in Person._meta.get_fields(include_hidden=True):
        if not isinstance(reverse, ForeignObjectRel) or reverse.many_to_many:
            continue
        model = reverse.related_model
        assert isinstance(model, type)
        assert issubclass(model, models.Model)
        if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase):
            continue  # the removed record's grants go with it
        relations.append(Relation(model=model, field=reverse.field))
    return sorted(relations, key=lambda r: (r.label, r.field.name))


def _unique_sets(relation: Relation) -> list[tuple[list[str], Q | None]]:
    """The other fields that, with the person, must be unique (and the condition the constraint holds
    under): an empty list means one row per person."""
    meta = relation.model._meta
    name = relation.field.name
    sets: list[tuple[list[str], Q | None]] = []
    if relation.field.unique:
        sets.append(([], None))
    for together in meta.unique_together:
        if name in together:
            sets.append(([f for f in together if f != name], None))
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and name in constraint.fields:
            sets.append(([f for f in constraint.fields if f != name], constraint.condition))
    return sets


def _clashing(relation: Relation, keep: Person, remove: Person) -> models.QuerySet[Any]:
    """The removed record's rows that would repeat a row of the kept record under a unique constraint."""
    clash = Q(pk__in=[])
    for others, condition in _unique_sets(relation):
        keep_rows = relation.rows_of(keep).filter(**{f"{other}": OuterRef(other) for other in others})
        if condition is not None:
            keep_rows = keep_rows.filter(condition)
            clash |= Q(condition) & Q(Exists(keep_rows))
        else:
            clash |= Q(Exists(keep_rows))
    return relation.rows_of(remove).filter(clash)


def _conflict_message(relation: Relation) -> str:
    for section_model, _note in SECTION_KINDS.values():
        if relation.model is section_model:
            return _(
                "Both records have a %(kind)s. Journals are append-only and cannot be combined: the merge is not "
                "possible while both have one."
            ) % {"kind": section_model._meta.verbose_name}
    return _("Both records have %(what)s that cannot be combined.") % {"what": relation.model._meta.verbose_name_plural}


def visible_moves(actor: Staff, remove: Person) -> dict[str, int]:
    """What the actor may see of the rows a merge moves, by model label: the confirmation page and the API
    show these counts (a share another agency linked to the record is not the actor's to know of)."""
    counts: dict[str, int] = {}
    for relation in person_relations():
        if access.role_allows(actor, "view", relation.model):
            rows = access.visible(actor, relation.model).filter(**{relation.field.attname: remove.pk})
            count = rows.count()
            if count:
                counts[relation.label] = counts.get(relation.label, 0) + count
    return counts


def person_merge_plan(*, keep: Person, remove: Person) -> MergePlan:
    """What merging `remove` into `keep` would move, drop and refuse (all rows, for the service; the pages
    show `visible_moves`). The caller has checked that the actor may merge both records (person_merge
    checks again). One count per relation: bounded queries."""
    plan = MergePlan(keep=keep, remove=remove)
    for relation in person_relations():
        count = relation.rows_of(remove).count()
        if not count:
            continue
        clashing = _clashing(relation, keep, remove).count() if _unique_sets(relation) else 0
        if clashing and relation.label not in SAME_FACT_TWICE:
            plan.conflicts.append(_conflict_message(relation))
        plan.moves[relation.label] = plan.moves.get(relation.label, 0) + count - clashing
        if clashing:
            plan.duplicates[relation.label] = plan.duplicates.get(relation.label, 0) + clashing
    plan.moves = {label: n for label, n in plan.moves.items() if n}
    return plan


def _check_merge(actor: Staff, keep: Person, remove: Person) -> None:
    if not access.role_allows(actor, "merge", Person):
        raise Http404
    access.require(actor, "change", keep)
    access.require(actor, "change", remove)
    if keep.pk == remove.pk:
        raise ValidationError({"remove": _("Choose another record than the one you keep.")})
    if keep.owner_agency_id != remove.owner_agency_id or keep.program_id != remove.program_id:
        raise ValidationError({"remove": _("Only two records of the same agency in the same program can be merged.")})


def _filled_gaps(keep: Person, remove: Person) -> dict[str, Any]:
    """What the kept record takes from the removed one: what it lacks, and the protection of the identity."""
    changes: dict[str, Any] = {}
    if not keep.identity_number and remove.identity_number:
        identity = parse_identity_number(remove.identity_number)
        changes.update(identity_number=identity.canonical, birth_year=identity.birth_year)
    for name in GAP_FIELDS:
        # A protected record's contact details are its owning caseworker's: they do not pass to a record
        # whose caseworker never saw them.
        if name in CONTACT_FIELDS and remove.protected_identity:
            continue
        if not getattr(keep, name) and getattr(remove, name):
            changes[name] = getattr(remove, name)
    if not keep.photo and remove.photo:
        changes["photo"] = remove.photo.name
    if remove.protected_identity and not keep.protected_identity:
        changes["protected_identity"] = True
    return changes


def _snapshot(remove: Person) -> dict[str, Any]:
    return {
        "given_name": remove.given_name,
        "family_name": remove.family_name,
        "identity_number": remove.identity_number,
        "birth_year": remove.birth_year,
    }


def _carry_grants(*, actor: Staff, keep: Person, remove: Person, shares: list[Share]) -> None:
    """Who could reach the removed record reaches the kept one: its owners (its creator, their team and
    agency), and the recipients of its active shares (the identity, until the share's last day)."""
    creator = remove.created_by
    if creator is not None and creator.agency_id == keep.owner_agency_id:
        owners: list[Staff | Team | Agency] = [creator]
        if creator.team is not None:
            owners.append(creator.team)
        for owner in owners:
            # Not `view_contact`: the kept record's protected contact details stay its own caseworker's.
            actions = ("view", "change")
            access.grant(keep, to=owner, actions=actions, basis="merge: owner of the removed record", actor=actor)
    for share in shares:
        if share.is_active():
            access.grant(
                keep,
                to=share.recipient,
                actions=("view_identity",),
                basis=share.legal_basis,
                actor=actor,
                until=share.expires_at,
            )


def _locked(keep: Person, remove: Person, keep_version: int) -> tuple[Person, Person]:
    """Both records as stored, locked in id order; the kept one must still be at the version read."""
    rows = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, remove.pk]).order_by("pk")}
    if keep.pk not in rows or remove.pk not in rows:
        raise Http404
    fresh_keep = rows[keep.pk]
    if fresh_keep.version != keep_version:
        raise StaleVersion(fresh_keep)
    return fresh_keep, rows[remove.pk]


@transaction.atomic
def person_merge(*, actor: Staff, keep: Person, remove: Person, keep_version: int) -> tuple[Person, PersonMerge]:
    """Merge `remove` into `keep`: move every linked row, fill the kept record's gaps, record and audit the
    merge, delete the removed record. Raises StaleVersion when `keep` changed since `keep_version` was read,
    ValidationError (before writing anything) when the records cannot be merged, Http404 when the actor
    may not merge them."""
    _check_merge(actor, keep, remove)
    keep, remove = _locked(keep, remove, keep_version)
    plan = person_merge_plan(keep=keep, remove=remove)
    if plan.conflicts:
        raise ValidationError({"remove": plan.conflicts})
    shares = list(Share.objects.filter(person=remove).select_related("receiving_team", "receiving_agency"))
    moved: dict[str, int] = {}
    for relation in person_relations():
        if relation.label in plan.duplicates:
            _clashing(relation, keep, remove).delete()
        count = relation.rows_of(remove).update(**{relation.field.attname: keep.pk})
        if count:
            moved[relation.label] = moved.get(relation.label, 0) + count
    changes = _filled_gaps(keep, remove)
    snapshot = {**_snapshot(remove), "dropped_duplicates": plan.duplicates}
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=remove,
        purpose=PURPOSE,
        detail={"merged_into": keep.pk, "moved": moved},
    )
    photo, storage = (remove.photo.name or "", remove.photo.storage) if remove.photo else ("", None)
    remove_pk = remove.pk
    # Deleted before the kept record takes its identity number (unique per agency).
    remove.delete()
    if storage is not None and "photo" not in changes:
        transaction.on_commit(lambda: storage.delete(photo))
    fresh = update_versioned(keep, expected_version=keep_version, changes=changes)
    refresh_search_key(fresh)
    _carry_grants(actor=actor, keep=fresh, remove=remove, shares=shares)
    merge = PersonMerge.objects.create(
        kept=fresh, removed_person_id=remove_pk, removed=snapshot, moved=moved, merged_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"merged": remove_pk, "moved": moved, "fields": sorted(changes)},
    )
    return fresh, merge
