"""Exports: read through the access policy, one export event with the ids, rows as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.mapping import selectors
from gvi.mapping.imports.columns import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    INCIDENT_COLUMNS,
    MEMBERSHIP_COLUMNS,
    TEXT_COLUMNS,
)
from gvi.mapping.imports.rows import chunks
from gvi.mapping.models import Gmi, Group, GroupMembership, Incident, IncidentKind
from gvi.spreadsheet import spreadsheet_safe

EXPORT_PURPOSE = "group mapping export"
EXPORT_CHUNK = 1000


class IncidentExportFilterForm(forms.Form):
    """The incident list's filters, read from the same GET parameters."""

    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)
    kind = forms.MultipleChoiceField(choices=IncidentKind.choices, required=False)
    district = forms.CharField(required=False, max_length=120)
    gmi = forms.ChoiceField(choices=[("", "—"), *Gmi.choices], required=False)
    group = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("The start date must be on or before the end date."))
        return cleaned

    def filters(self) -> selectors.IncidentFilters:
        data = self.cleaned_data
        return selectors.IncidentFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            kinds=list(data.get("kind") or []),
            district=(data.get("district") or "").strip(),
            gmi=data.get("gmi") or "",
            group_id=data.get("group"),
        )


@dataclass
class Export:
    """What an export writes: its columns, the ids it exported (already audited) and the rows, lazily."""

    name: str
    columns: list[str]
    ids: list[int]
    rows: Iterator[list[Any]]


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, timezone.get_default_timezone()).replace(tzinfo=None)


def _ordered_ids(queryset: QuerySet[Any]) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def _incident_rows(actor: Staff, base: QuerySet[Incident], ids: list[int]) -> Iterator[list[Any]]:
    groups = Prefetch("groups", queryset=access.visible(actor, Group).only("id", "name").order_by("name", "id"))
    for chunk in chunks(ids, EXPORT_CHUNK):
        by_pk = {incident.pk: incident for incident in base.filter(pk__in=chunk).prefetch_related(groups)}
        for pk in chunk:
            incident = by_pk.get(pk)
            if incident is None:  # removed since the ids were read
                continue
            yield [
                incident.police_case_number,
                _local(incident.occurred_at),
                incident.kind,
                incident.place,
                incident.district,
                incident.latitude,
                incident.longitude,
                incident.killed,
                incident.injured,
                incident.gmi,
                "; ".join(group.name for group in incident.groups.all()),
                incident.notes,
            ]


def incidents_export(*, actor: Staff, filters: selectors.IncidentFilters | None = None) -> Export:
    """The incidents the actor sees, filtered and ordered as on the list. Audited with the ids."""
    access.require(actor, "export", Incident)
    base = selectors.incident_list(user=actor, filters=filters)
    ids = _ordered_ids(base)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=Incident._meta.label_lower,
        object_ids=ids,
        purpose=EXPORT_PURPOSE,
        detail={"count": len(ids), "filters": _filter_detail(filters)},
    )
    return Export("incidents", [c.name for c in INCIDENT_COLUMNS], ids, _incident_rows(actor, base, ids))


def _filter_detail(filters: selectors.IncidentFilters | None) -> dict[str, Any]:
    if filters is None:
        return {}
    detail = {
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
        "kinds": filters.kinds,
        "district": filters.district,
        "gmi": filters.gmi,
        "group": filters.group_id,
    }
    return {key: value for key, value in detail.items() if value}


def _membership_rows(actor: Staff, base: QuerySet[GroupMembership], ids: list[int]) -> Iterator[list[Any]]:
    for chunk in chunks(ids, EXPORT_CHUNK):
        memberships = {m.pk: m for m in base.filter(pk__in=chunk).select_related("group", "person")}
        person_ids = {m.person_id for m in memberships.values()}
        # Names and numbers only of persons the actor may see; the membership row itself follows its group.
        shown = set(access.visible(actor, Person).filter(pk__in=person_ids).values_list("pk", flat=True))
        for pk in chunk:
            membership = memberships.get(pk)
            if membership is None:
                continue
            person = membership.person
            visible = person.pk in shown
            yield [
                membership.group.name,
                (person.identity_number or "") if visible else "",
                person.pk,
                person.full_name if visible else "",
                membership.role,
                membership.confidence,
                membership.source,
                membership.valid_from,
                membership.valid_to,
                membership.last_confirmed,
                membership.review_due,
            ]


def memberships_export(*, actor: Staff) -> Export:
    """Every membership the actor sees, by group. Audited with the ids."""
    access.require(actor, "export", GroupMembership)
    base = access.visible(actor, GroupMembership).order_by("group__name", "group_id", "-valid_from", "id")
    ids = _ordered_ids(base)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=GroupMembership._meta.label_lower,
        object_ids=ids,
        purpose=EXPORT_PURPOSE,
        detail={"count": len(ids)},
    )
    # The file names the persons too: the export of their data is logged against them.
    person_ids = sorted(
        set(access.visible(actor, Person).filter(pk__in=base.values("person_id")).values_list("pk", flat=True))
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=Person._meta.label_lower,
        object_ids=person_ids,
        purpose=EXPORT_PURPOSE,
        detail={"count": len(person_ids), "in": GroupMembership._meta.label_lower},
    )
    return Export("memberships", [c.name for c in MEMBERSHIP_COLUMNS], ids, _membership_rows(actor, base, ids))


def export_text(column: str, value: Any) -> str:
    """A value as CSV text; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    text = str(value)
    return spreadsheet_safe(text) if column in TEXT_COLUMNS else text
