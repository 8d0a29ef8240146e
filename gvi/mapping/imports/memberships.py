"""Importing memberships: a person by identity number or record number, among the user's own records only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.identity import parse_identity_number
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.mapping import services
from gvi.mapping.imports.columns import ImportKind, confidence_words, role_words
from gvi.mapping.imports.files import SourceRow
from gvi.mapping.imports.rows import (
    IMPORT_PURPOSE,
    ImportResult,
    Plan,
    RowReport,
    RowStatus,
    choice_cell,
    chunks,
    commit,
    date_cell,
    groups_by_name,
    text_cell,
)
from gvi.mapping.models import GroupMembership, MemberRole


def _validate_memberships(actor: Staff, rows: Sequence[SourceRow]) -> tuple[list[Plan], dict[int, Person]]:
    access.require(actor, "add", GroupMembership)
    roles, confidences = role_words(), confidence_words()
    groups = groups_by_name(actor)
    today = timezone.localdate()
    plans = []
    wanted_numbers: dict[int, str] = {}
    wanted_ids: dict[int, int] = {}
    for index, row in enumerate(rows):
        plan = Plan(RowReport(line=row.line, cells=dict(row.cells)))
        group_name = text_cell(plan, "group", max_length=120, required=True)
        group = groups.get(group_name.casefold()) if group_name else None
        if group_name and group is None:
            plan.report.reject("group", _("No group named %(name)r on your map.") % {"name": group_name})
        number = plan.report.cells.get("person", "").strip()
        person_id = plan.report.cells.get("person_id", "").strip()
        if not number and not person_id:
            plan.report.reject("person", _("Give the person's identity number or person_id."))
        if number:
            try:
                wanted_numbers[index] = parse_identity_number(number).canonical
            except ValidationError as exc:
                plan.report.reject("person", " ".join(exc.messages))
        if person_id:
            if person_id.isdigit() and 0 < int(person_id) < 2**63:
                wanted_ids[index] = int(person_id)
            else:
                plan.report.reject("person_id", _("Enter a record number (digits only)."))
        values: dict[str, Any] = {
            "group": group,
            "role": choice_cell(plan, "role", roles, default=MemberRole.MEMBER),
            "confidence": choice_cell(plan, "confidence", confidences),
            "source": text_cell(plan, "source", max_length=200, required=True),
            "valid_from": date_cell(plan, "valid_from", required=True),
            "valid_to": date_cell(plan, "valid_to"),
            "last_confirmed": date_cell(plan, "last_confirmed"),
            "review_due": date_cell(plan, "review_due"),
        }
        if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
            plan.report.reject("valid_to", _("The end date must be on or after the start date."))
        if values["last_confirmed"] and values["last_confirmed"] > today:
            plan.report.reject("last_confirmed", _("The last confirmation cannot be in the future."))
        confirmed = values["last_confirmed"] or today
        if values["review_due"] and values["review_due"] <= confirmed:
            plan.report.reject("review_due", _("The review date must come after the last confirmation."))
        plan.values = values
        plans.append(plan)

    # Persons only from the actor's visible records: an unknown number and another agency's look the same.
    persons: dict[int, Person] = {}
    visible_persons = access.visible(actor, Person)
    by_number: dict[str, Person] = {}
    for chunk in chunks(sorted(set(wanted_numbers.values()))):
        by_number.update((p.identity_number or "", p) for p in visible_persons.filter(identity_number__in=chunk))
    by_id: dict[int, Person] = {}
    for id_chunk in chunks(sorted(set(wanted_ids.values()))):
        by_id.update((p.pk, p) for p in visible_persons.filter(pk__in=id_chunk))
    for index, plan in enumerate(plans):
        person = None
        if index in wanted_numbers:
            person = by_number.get(wanted_numbers[index])
            if person is None:
                plan.report.reject("person", _("No person with this identity number among your agency's records."))
        if index in wanted_ids:
            by_pk = by_id.get(wanted_ids[index])
            if by_pk is None:
                plan.report.reject("person_id", _("No person with this record number among your agency's records."))
            elif person is not None and person.pk != by_pk.pk:
                plan.report.reject("person_id", _("The identity number and person_id name different persons."))
            person = person or by_pk
        plan.values["person"] = person
        if person is not None:
            persons[person.pk] = person
    _mark_duplicate_memberships(actor, plans)
    return plans, persons


def _membership_key(values: dict[str, Any]) -> tuple[int, int, date] | None:
    if values.get("group") is None or values.get("person") is None or values.get("valid_from") is None:
        return None
    return (values["group"].pk, values["person"].pk, values["valid_from"])


def _mark_duplicate_memberships(actor: Staff, plans: list[Plan]) -> None:
    """A membership is known by group, person and start date: repeated in the file is an error on the later
    line; already registered is skipped."""
    first_line: dict[tuple[int, int, date], int] = {}
    for plan in plans:
        key = _membership_key(plan.values)
        if key is None:
            continue
        if key in first_line:
            plan.report.reject(
                "person", _("The same membership as on line %(line)s of this file.") % {"line": first_line[key]}
            )
        else:
            first_line[key] = plan.report.line
    person_ids = sorted({key[1] for key in first_line})
    registered: set[tuple[int, int, date]] = set()
    for chunk in chunks(person_ids):
        registered.update(
            access.visible(actor, GroupMembership)
            .filter(person_id__in=chunk)
            .values_list("group_id", "person_id", "valid_from")
        )
    for plan in plans:
        if plan.report.status is RowStatus.NEW and _membership_key(plan.values) in registered:
            plan.report.status = RowStatus.SKIPPED
            plan.report.note = _("Already registered.")


def _create_membership(actor: Staff, values: dict[str, Any]) -> models.Model:
    return services.membership_add(actor=actor, purpose=IMPORT_PURPOSE, **values)


def memberships_preview(*, actor: Staff, rows: Sequence[SourceRow]) -> ImportResult:
    """Validate every row; write nothing but one search event for the persons the identity numbers found."""
    plans, persons = _validate_memberships(actor, rows)
    for plan in plans:
        person = plan.values.get("person")
        if person is not None:
            plan.report.note = " ".join(filter(None, [person.full_name, plan.report.note]))
    if persons:
        audit_record(
            actor=actor,
            action=AuditAction.SEARCH,
            object_type=Person._meta.label_lower,
            object_ids=sorted(persons),
            purpose=IMPORT_PURPOSE,
            detail={"import": str(ImportKind.MEMBERSHIPS), "rows": len(plans)},
        )
    return ImportResult(ImportKind.MEMBERSHIPS, [plan.report for plan in plans])


def memberships_import(*, actor: Staff, rows: Sequence[SourceRow]) -> ImportResult:
    """Validate every row again and, if none is rejected, add every new membership in one transaction."""
    plans, _persons = _validate_memberships(actor, rows)
    return commit(actor, ImportKind.MEMBERSHIPS, plans, _create_membership)
