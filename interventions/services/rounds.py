"""Enforcement rounds (ökat fokus): started against a group by the police, its actions by the police, by
Kriminalvården or by an outside authority, each with a date and a result, then ended with an evaluation.

A round is the police's (granted to the creator, the team and the police agency). An agency of the program
asked to act is granted the round's summary (`view_summary`) and its own actions (`view`,
`record_result`). Social services never act in a round and never see one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Agency, AgencyKind, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned
from gvi.dates import in_range, out_of_range_message
from gvi.mapping.models import Group, Incident
from interventions.models import EnforcementAction, EnforcementRound

PURPOSE = "enforcement round"
ROUND_FIELDS = ("reason", "summary", "started_on")
ACTION_FIELDS = ("kind", "acted_on", "description")
# Agencies that may be asked to act: never the municipality's social services.
ACTING_KINDS = (AgencyKind.POLICE, AgencyKind.PRISON_SERVICE)
# Outside authorities named by the kind of action when the coordinator names none.
OUTSIDE_BY_KIND: dict[str, str] = {
    EnforcementAction.Kind.KRONOFOGDEN.value: "Kronofogden",
    EnforcementAction.Kind.SKATTEVERKET.value: "Skatteverket",
}


def acting_agencies(actor: Staff) -> list[Agency]:
    """The agencies of the actor's program that may be asked to act (program structure, not case data)."""
    return list(accounts_selectors.program_agencies(program_id=actor.program_id, kinds=ACTING_KINDS))


def _round_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(values.get("reason", "")).strip():
        errors["reason"] = [_("Say why the round is started.")]
    started_on = values.get("started_on")
    if not isinstance(started_on, date) or not in_range(started_on):
        errors["started_on"] = [out_of_range_message()]
    elif started_on > timezone.localdate():
        errors["started_on"] = [_("A round starts today or earlier.")]
    return errors


def _check_incidents(actor: Staff, incidents: list[Incident]) -> None:
    wanted = {incident.pk for incident in incidents}
    visible = set(access.visible(actor, Incident).filter(pk__in=wanted).values_list("pk", flat=True))
    if visible != wanted:
        raise ValidationError({"incidents": [_("Choose incidents of your own group map.")]})


def _active_round_message() -> str:
    return _("The group has an active round already: add actions to it, or end it first.")


def _require_active(round_: EnforcementRound, *, stored: bool = False) -> None:
    """`stored`: check (and lock) the round as it is stored, not the caller's copy: for a write that names no
    version of the round (an action added or removed), which an end saved in between must still stop."""
    if stored:
        active = (
            EnforcementRound.objects.select_for_update()
            .filter(pk=round_.pk, status=EnforcementRound.Status.ACTIVE)
            .exists()
        )
    else:
        active = round_.status == EnforcementRound.Status.ACTIVE
    if not active:
        raise ValidationError(_("The round has ended: it no longer changes."))


@transaction.atomic
def round_start(
    *,
    actor: Staff,
    group: Group,
    reason: str,
    incidents: Iterable[Incident] = (),
    summary: str = "",
    started_on: date | None = None,
) -> EnforcementRound:
    """Start a round against a group of the actor's own map, with the reason and the incidents behind it."""
    access.require(actor, "add", EnforcementRound)
    if not access.visible(actor, Group, pk=group.pk).exists():
        raise ValidationError({"group": [_("Choose a group of your own group map.")]})
    incident_list = list(incidents)
    values = {
        "reason": reason.strip(),
        "summary": summary.strip(),
        "started_on": started_on or timezone.localdate(),
    }
    errors = _round_errors(values)
    if EnforcementRound.objects.filter(group=group, status=EnforcementRound.Status.ACTIVE).exists():
        errors["group"] = [_active_round_message()]
    if errors:
        raise ValidationError(errors)
    _check_incidents(actor, incident_list)
    program_id, agency_id = actor.workplace
    round_ = EnforcementRound(program_id=program_id, owner_agency_id=agency_id, created_by=actor, group=group, **values)
    round_.full_clean(validate_constraints=False)
    # A double submit races past the check above: the database's constraint decides, as a field error.
    save_new_unique(round_, field="group", message=_active_round_message())
    round_.incidents.set(incident_list)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=round_,
        purpose=PURPOSE,
        detail={"group": group.pk, "incidents": sorted(i.pk for i in incident_list)},
    )
    access.grant_to_owner(round_, actor=actor, basis="owner")
    return round_


@transaction.atomic
def round_update(
    *,
    actor: Staff,
    round_: EnforcementRound,
    version: int,
    incidents: Iterable[Incident] | None = None,
    **changes: Any,
) -> EnforcementRound:
    """Change the reason, the summary for partners, the start date or the incidents of an active round."""
    access.require(actor, "change", round_)
    unknown = set(changes) - set(ROUND_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _require_active(round_)
    merged = {field: changes.get(field, getattr(round_, field)) for field in ROUND_FIELDS}
    merged["reason"], merged["summary"] = str(merged["reason"]).strip(), str(merged["summary"]).strip()
    errors = _round_errors(merged)
    if "started_on" not in errors and round_.actions.filter(acted_on__lt=merged["started_on"]).exists():
        errors["started_on"] = [_("The round has an action before this day: it starts on or before its actions.")]
    if errors:
        raise ValidationError(errors)
    incident_list = list(incidents) if incidents is not None else None
    if incident_list is not None:
        _check_incidents(actor, incident_list)
    changed = [f for f in ROUND_FIELDS if merged[f] != getattr(round_, f)]
    fresh = update_versioned(round_, expected_version=version, changes=merged)
    if incident_list is not None:
        if set(fresh.incidents.values_list("pk", flat=True)) != {i.pk for i in incident_list}:
            changed.append("incidents")
        fresh.incidents.set(incident_list)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": sorted(changed)})
    return fresh


@transaction.atomic
def round_end(
    *, actor: Staff, round_: EnforcementRound, version: int, ended_on: date, evaluation: str
) -> EnforcementRound:
    """End an active round with its evaluation (once: a second submit is refused)."""
    access.require(actor, "change", round_)
    # Locked first: an action added meanwhile (action_add locks the round too) cannot slip in after the check.
    round_ = EnforcementRound.objects.select_for_update().get(pk=round_.pk)
    _require_active(round_)
    errors: dict[str, list[str]] = {}
    if not isinstance(ended_on, date) or not in_range(ended_on):
        errors["ended_on"] = [out_of_range_message()]
    elif ended_on < round_.started_on:
        errors["ended_on"] = [_("A round ends on or after the day it started.")]
    elif ended_on > timezone.localdate():
        errors["ended_on"] = [_("A round ends today or earlier.")]
    elif round_.actions.filter(status=EnforcementAction.Status.PLANNED, acted_on__gt=ended_on).exists():
        # The agencies asked to act would still be asked to after the end: record or remove those first.
        errors["ended_on"] = [
            _("Actions are planned after this day: record their results or remove them before the round ends.")
        ]
    elif round_.actions.filter(acted_on__gt=ended_on).exists():
        # The reports count an action by its date and a round by its end: an action never falls after the end.
        errors["ended_on"] = [_("The round has actions after this day: it ends on or after its last action.")]
    if not evaluation.strip():
        errors["evaluation"] = [_("Write what the round achieved.")]
    if errors:
        raise ValidationError(errors)
    fresh = update_versioned(
        round_,
        expected_version=version,
        changes={"status": EnforcementRound.Status.ENDED, "ended_on": ended_on, "evaluation": evaluation.strip()},
    )
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"status": "ended"})
    return fresh


# --------------------------------------------------------------------------------------------------
# Actions


def _action_errors(values: dict[str, Any], round_: EnforcementRound) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if values.get("kind") not in EnforcementAction.Kind.values:
        errors["kind"] = [_("Choose the kind of action.")]
    acted_on = values.get("acted_on")
    if not isinstance(acted_on, date) or not in_range(acted_on):
        errors["acted_on"] = [out_of_range_message()]
    elif acted_on < round_.started_on:
        errors["acted_on"] = [_("An action of the round falls on or after the day it started.")]
    return errors


@transaction.atomic
def action_add(
    *,
    actor: Staff,
    round_: EnforcementRound,
    kind: str,
    acted_on: date,
    acting_agency: Agency | None = None,
    external_agency: str = "",
    description: str = "",
) -> EnforcementAction:
    """Log an action of an active round. An agency of the program asked to act (the police or Kriminalvården,
    never social services) is granted the round's summary and this action; an outside authority's result is
    recorded by the police."""
    access.require(actor, "add", EnforcementAction)
    access.require(actor, "change", round_)
    _require_active(round_, stored=True)
    external_agency = external_agency.strip() or ("" if acting_agency else OUTSIDE_BY_KIND.get(kind, ""))
    values = {"kind": kind, "acted_on": acted_on, "description": description.strip()}
    errors = _action_errors(values, round_)
    if (acting_agency is None) == (not external_agency):
        errors["acting_agency"] = [_("Choose the acting agency, or name the outside authority (one of them).")]
    elif acting_agency is not None and acting_agency.pk not in {a.pk for a in acting_agencies(actor)}:
        errors["acting_agency"] = [_("Choose the police or Kriminalvården of this program.")]
    if errors:
        raise ValidationError(errors)
    action = EnforcementAction(
        program_id=round_.program_id,
        owner_agency_id=round_.owner_agency_id,
        created_by=actor,
        round=round_,
        acting_agency=acting_agency,
        external_agency=external_agency,
        **values,
    )
    action.full_clean()
    action.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=action,
        purpose=PURPOSE,
        detail={"round": round_.pk, "acting_agency": acting_agency.pk if acting_agency else None},
    )
    owner = round_.owner_agency
    access.grant(action, to=owner, actions=("view", "change"), basis="owner", actor=actor)
    if acting_agency is None or acting_agency.pk == owner.pk:
        access.grant(action, to=owner, actions=("record_result",), basis="owner", actor=actor)
    else:
        basis = "asked to act in an enforcement round"
        access.grant(action, to=acting_agency, actions=("view", "record_result"), basis=basis, actor=actor)
        access.grant(round_, to=acting_agency, actions=("view_summary",), basis=basis, actor=actor)
    return action


def _require_planned(action: EnforcementAction) -> None:
    if action.status != EnforcementAction.Status.PLANNED:
        raise ValidationError(_("Only a planned action can be changed or removed."))


@transaction.atomic
def action_update(*, actor: Staff, action: EnforcementAction, version: int, **changes: Any) -> EnforcementAction:
    """Change the kind, date or description of a planned action (the acting agency stays: remove and add)."""
    access.require(actor, "change", action)
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _require_active(action.round)
    _require_planned(action)
    merged = {field: changes.get(field, getattr(action, field)) for field in ACTION_FIELDS}
    merged["description"] = str(merged["description"]).strip()
    errors = _action_errors(merged, action.round)
    if errors:
        raise ValidationError(errors)
    fresh = update_versioned(action, expected_version=version, changes=merged)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"fields": sorted(f for f in ACTION_FIELDS if merged[f] != getattr(action, f))},
    )
    return fresh


@transaction.atomic
def action_remove(*, actor: Staff, action: EnforcementAction) -> None:
    """Remove a planned action logged by mistake. An agency left with no action in the round loses its
    summary of the round."""
    access.require(actor, "change", action)
    round_ = action.round
    _require_active(round_, stored=True)
    _require_planned(action)
    audit_record(actor=actor, action=AuditAction.DELETE, obj=action, purpose=PURPOSE, detail={"round": round_.pk})
    agency = action.acting_agency
    # Only while it is still planned as stored: a result recorded since the caller read it is never deleted.
    deleted, _counts = EnforcementAction.objects.filter(pk=action.pk, status=EnforcementAction.Status.PLANNED).delete()
    if not deleted:
        raise ValidationError(_("Only a planned action can be changed or removed."))
    if (
        agency is not None
        and agency.pk != round_.owner_agency_id
        and not round_.actions.filter(acting_agency=agency).exists()
    ):
        access.revoke(round_, to=agency, actions=("view_summary",), basis="no action left in the round", actor=actor)


@transaction.atomic
def action_record_result(
    *, actor: Staff, action: EnforcementAction, version: int, status: str, result: str, acted_on: date | None = None
) -> EnforcementAction:
    """The acting agency (or the police, for an outside authority) records what came of an action: done or
    not carried out, with the result. Recorded once; also after the round has ended."""
    access.require(actor, "record_result", action)
    _require_planned(action)
    errors: dict[str, list[str]] = {}
    if status not in (EnforcementAction.Status.DONE, EnforcementAction.Status.NOT_DONE):
        errors["status"] = [_("Choose done or not carried out.")]
    if not result.strip():
        errors["result"] = [_("Write the result.")]
    changes: dict[str, Any] = {"status": status, "result": result.strip(), "result_recorded_at": timezone.now()}
    if acted_on is not None:
        if not in_range(acted_on) or acted_on < action.round.started_on:
            errors["acted_on"] = [_("An action of the round falls on or after the day it started.")]
        elif acted_on > timezone.localdate():
            errors["acted_on"] = [_("The date of the action cannot be in the future.")]
        elif action.round.ended_on is not None and acted_on > action.round.ended_on:
            errors["acted_on"] = [
                _("The round ended on %(day)s: the action falls on or before that day.")
                % {"day": action.round.ended_on.isoformat()}
            ]
        changes["acted_on"] = acted_on
    elif status == EnforcementAction.Status.DONE and action.acted_on > timezone.localdate():
        errors["acted_on"] = [_("The date of the action cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    fresh = update_versioned(action, expected_version=version, changes=changes)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"status": status})
    return fresh
