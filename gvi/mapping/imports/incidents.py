"""Importing incidents: known by police case number (or, without one, by time, kind and place)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Staff
from gvi.mapping import services
from gvi.mapping.imports.columns import ImportKind, gmi_words, kind_words
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
    coordinate_cell,
    count_cell,
    datetime_cell,
    group_names,
    groups_by_name,
    text_cell,
)
from gvi.mapping.models import Gmi, Group, Incident


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _validate_incidents(actor: Staff, rows: Sequence[SourceRow]) -> list[Plan]:
    access.require(actor, "add", Incident)
    kinds, gmis = kind_words(), gmi_words()
    groups = groups_by_name(actor)
    plans = []
    for row in rows:
        plan = Plan(RowReport(line=row.line, cells=dict(row.cells)))
        values: dict[str, Any] = {
            "police_case_number": text_cell(plan, "police_case_number", max_length=40),
            "occurred_at": datetime_cell(plan, "occurred_at"),
            "kind": choice_cell(plan, "kind", kinds),
            "place": text_cell(plan, "place", max_length=200, required=True),
            "district": text_cell(plan, "district", max_length=120),
            "latitude": coordinate_cell(plan, "latitude", 90),
            "longitude": coordinate_cell(plan, "longitude", 180),
            "killed": count_cell(plan, "killed"),
            "injured": count_cell(plan, "injured"),
            "gmi": choice_cell(plan, "gmi", gmis, default=Gmi.NONE),
            "notes": plan.report.cells.get("notes", "").strip(),
        }
        given = [name for name in ("latitude", "longitude") if plan.report.cells.get(name, "").strip()]
        if len(given) == 1:
            missing = "longitude" if given == ["latitude"] else "latitude"
            plan.report.reject(missing, _("Give both latitude and longitude, or neither."))
        chosen: list[Group] = []
        for name in group_names(plan.report.cells.get("groups", "")):
            group = groups.get(name.casefold())
            if group is None:
                plan.report.reject("groups", _("No group named %(name)r on your map.") % {"name": name})
            elif group not in chosen:
                chosen.append(group)
        values["groups"] = chosen
        plan.values = values
        plans.append(plan)
    _mark_duplicate_incidents(actor, plans)
    return plans


def _mark_duplicate_incidents(actor: Staff, plans: list[Plan]) -> None:
    """Within the file a repeated incident is an error on its later line; one already registered is skipped.

    An incident is known by its police case number; one without a number by its time, kind and place.
    """
    first_line: dict[Any, int] = {}
    for plan in plans:
        key = _incident_key(plan.values)
        if key is None:
            continue
        if key in first_line:
            column = "police_case_number" if key[0] == "number" else "occurred_at"
            plan.report.reject(
                column, _("The same incident as on line %(line)s of this file.") % {"line": first_line[key]}
            )
        else:
            first_line[key] = plan.report.line
    visible = access.visible(actor, Incident)
    numbers = sorted({plan.values["police_case_number"] for plan in plans if plan.values["police_case_number"]})
    registered: set[Any] = set()
    for chunk in chunks(numbers):
        registered.update(
            ("number", number)
            for number in visible.filter(police_case_number__in=chunk).values_list("police_case_number", flat=True)
        )
    unnumbered = [
        plan.values["occurred_at"]
        for plan in plans
        if not plan.values["police_case_number"] and plan.values["occurred_at"] is not None
    ]
    if unnumbered:
        candidates = visible.filter(
            police_case_number="",
            occurred_at__gte=_minute(min(unnumbered)),
            occurred_at__lt=_minute(max(unnumbered)) + timedelta(minutes=1),
        ).values_list("occurred_at", "kind", "place")
        registered.update(("time", _minute(when), kind, place.casefold()) for when, kind, place in candidates)
    for plan in plans:
        if plan.report.status is RowStatus.NEW and _incident_key(plan.values) in registered:
            plan.report.status = RowStatus.SKIPPED
            plan.report.note = _("Already registered.")


def _incident_key(values: dict[str, Any]) -> tuple[Any, ...] | None:
    if values.get("police_case_number"):
        return ("number", values["police_case_number"])
    if values.get("occurred_at") and values.get("kind") and values.get("place"):
        return ("time", _minute(values["occurred_at"]), values["kind"], values["place"].casefold())
    return None


def _create_incident(actor: Staff, values: dict[str, Any]) -> models.Model:
    fields = dict(values)
    groups = fields.pop("groups")
    return services.incident_create(actor=actor, groups=groups, purpose=IMPORT_PURPOSE, **fields)


def incidents_preview(*, actor: Staff, rows: Sequence[SourceRow]) -> ImportResult:
    """Validate every row; write nothing."""
    return ImportResult(ImportKind.INCIDENTS, [plan.report for plan in _validate_incidents(actor, rows)])


def incidents_import(*, actor: Staff, rows: Sequence[SourceRow]) -> ImportResult:
    """Validate every row again and, if none is rejected, create every new incident in one transaction."""
    plans = _validate_incidents(actor, rows)
    return commit(actor, ImportKind.INCIDENTS, plans, _create_incident)
